// Every policy rule, in the order `npm run policy` and `pulumi preview` report them.
import type { Rule } from "../view";
import {
  containerImagesPinned,
  helmChartVersionsExact,
  kialiNotAnonymous,
  meshMtlsStrict,
  noExposedServices,
} from "./kubernetes";
import { jetstream2Flavors, noWorldAdminPorts, securityGroupsNarrow, worldIngressEdgeOnly } from "./network";
import { secretCredentials } from "./secrets";

export const RULES: readonly Rule[] = [
  noWorldAdminPorts,
  worldIngressEdgeOnly,
  securityGroupsNarrow,
  secretCredentials,
  helmChartVersionsExact,
  containerImagesPinned,
  jetstream2Flavors,
  kialiNotAnonymous,
  meshMtlsStrict,
  noExposedServices,
];
