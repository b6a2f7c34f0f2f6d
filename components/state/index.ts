export { PostgresPrimary } from "./postgres-primary";
export type { PostgresPrimaryArgs } from "./postgres-primary";
export { PostgresReplica } from "./postgres-replica";
export type { PostgresReplicaArgs } from "./postgres-replica";
export type { PostgresDatabaseArgs, PeerDatabase, DatabaseCredentials } from "./postgres-database";
export { controllerCloudFiles } from "./controller-ship";
export type { ControllerShipInput } from "./controller-ship";
export {
  renderControllerCloudPart,
  renderControllerConfig,
  renderPointerScript,
  renderControllerUnit,
  CONTROLLER_PATHS,
} from "./render/controller-files";
export type { ControllerFilesInput, ControllerCloudPart } from "./render/controller-files";
export { renderPostgresqlConf } from "./render/postgresql-conf";
export type { PostgresConfInput, PostgresRole, SyncLevel } from "./render/postgresql-conf";
export { renderPgHba } from "./render/pg-hba";
export type { PgHbaInput } from "./render/pg-hba";
export { renderBootstrapSql } from "./render/bootstrap-sql";
export { renderDbCloudInit, DB_PATHS } from "./render/db-cloud-init";
export type { DbCloudInitInput } from "./render/db-cloud-init";
export { renderSetupScript, renderBackupScript, renderBackupUnits } from "./render/db-scripts";
export { postgresConfInput, pgHbaInput, standbyName, DEBIAN_PATHS, PG_MAJOR, ROLES } from "./render/profile";
// the controller library (decision, HAProxy view, operator steps) as one namespace
export * as failoverController from "./controller";
