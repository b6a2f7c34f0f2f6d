// The `chaos` section of the cluster project: kube-monkey (seed 004), off by default and opt-in
// per namespace. Platform and system namespaces are refused here and blacklisted in
// kube-monkey's own config as well (components/delivery/render/chaos.ts).
import { z } from "zod";
import { dnsLabel } from "./fields";
import { PLATFORM_NAMESPACES } from "./mesh";

/** kube-monkey's kill modes (internal/pkg/config/config.go, asobti/kube-monkey 7dcb3ca). */
export const KILL_MODES = ["kill-all", "fixed", "fixed-percent", "random-max-percent"] as const;

const hour = z
  .number({ error: "must be a number" })
  .int({ error: "must be an integer" })
  .min(0, { error: "must be an hour 0-23" })
  .max(23, { error: "must be an hour 0-23" });

export const chaosNamespaceSchema = z
  .strictObject({
    name: dnsLabel.refine((s) => !(PLATFORM_NAMESPACES as readonly string[]).includes(s), {
      error: `must not be a platform or system namespace (${PLATFORM_NAMESPACES.join(", ")})`,
    }),
    /** mean time between failures in days (kube-monkey/mtbf): 1 = a kill on every weekday */
    mtbfDays: z
      .number({ error: "must be a number" })
      .int({ error: "must be an integer" })
      .min(1, { error: "must be 1-30 (days)" })
      .max(30, { error: "must be 1-30 (days)" })
      .default(2),
    killMode: z.enum(KILL_MODES, { error: `must be one of ${KILL_MODES.join(", ")}` }).default("fixed"),
    /** pods for `fixed`, percent for the percent modes; unused for kill-all */
    killValue: z
      .number({ error: "must be a number" })
      .int({ error: "must be an integer" })
      .min(1, { error: "must be at least 1" })
      .max(100, { error: "must be at most 100" })
      .default(1),
  })
  .superRefine((n, ctx) => {
    if (n.killMode === "kill-all") {
      ctx.addIssue({
        code: "custom",
        path: ["killMode"],
        input: n.killMode,
        message: "kill-all takes every replica down at once; use fixed or a percent mode below 100",
      });
    }
  });

export const chaosSchema = z
  .strictObject({
    /** off by default: nothing is installed and no label is set */
    enabled: z.boolean({ error: "must be true or false" }).default(false),
    /** kube-monkey logs what it would kill and kills nothing; set false once the schedule looks right */
    dryRun: z.boolean({ error: "must be true or false" }).default(true),
    /** hour (weekdays) at which kube-monkey schedules the day's kills */
    runHour: hour.default(8),
    /** kills happen between startHour and endHour, when the owners are at work */
    startHour: hour.default(10),
    endHour: hour.default(16),
    timeZone: z
      .string({ error: "must be a string" })
      .regex(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, {
        error: "must be an IANA time zone such as America/Indiana/Indianapolis",
      })
      .default("America/Indiana/Indianapolis"),
    /** the namespaces that opted in; nothing else is ever a target */
    namespaces: z.array(chaosNamespaceSchema).default([]),
  })
  .superRefine((c, ctx) => {
    if (!(c.runHour < c.startHour && c.startHour < c.endHour)) {
      ctx.addIssue({
        code: "custom",
        path: ["startHour"],
        input: c.startHour,
        message: "must satisfy runHour < startHour < endHour (kube-monkey refuses another order)",
      });
    }
    if (c.enabled && c.namespaces.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["namespaces"],
        input: c.namespaces,
        message: "must name at least one namespace when chaos is enabled (chaos is opt-in per namespace)",
      });
    }
    const seen = new Set<string>();
    c.namespaces.forEach((n, i) => {
      if (seen.has(n.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["namespaces", i, "name"],
          input: n.name,
          message: "is listed twice",
        });
      }
      seen.add(n.name);
    });
  });

export type ChaosConfig = z.output<typeof chaosSchema>;
export type ChaosNamespaceConfig = z.output<typeof chaosNamespaceSchema>;
