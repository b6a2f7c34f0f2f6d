export { DnsRecords } from "./dns-records";
export type { DnsRecordsArgs, DnsZoneArgs } from "./dns-records";
export { planRecords, recordKey, renderZoneFile } from "./render/records";
export type { RecordSpec, RecordPlan, RecordPlanInput } from "./render/records";
export { DnsChecker, CHECKER_ACCESS_RULES } from "./dns-checker";
export type { DnsCheckerArgs, DnsCheckerSource } from "./dns-checker";
export {
  CHECKER_PATHS,
  renderCheckerCloudPart,
  renderCheckerCloudConfig,
  renderCheckerConfig,
} from "./render/checker-files";
export type { CheckerCloudPart, CheckerFilesInput } from "./render/checker-files";
// the checker library (decision, config, loop) as one namespace
export * as dnsCheckerLibrary from "./checker";
