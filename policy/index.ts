// The CrossGuard policy pack: `pulumi preview --policy-pack policy` (and `pulumi up`) run it.
// The rules are policy/rules/*; `npm run policy -- out/<stack>/plan.json` runs the same ones
// offline. Levels are per rule (mandatory refuses the update, advisory warns).
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, POLICIES } from "./pack";

new PolicyPack(PACK_NAME, { policies: POLICIES, enforcementLevel: "mandatory" });
