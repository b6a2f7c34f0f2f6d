export { DnsRecords } from "./dns-records";
export type { DnsRecordsArgs, DnsZoneArgs } from "./dns-records";
export { planRecords, recordKey, renderZoneFile } from "./render/records";
export type { RecordSpec, RecordPlan, RecordPlanInput } from "./render/records";
