// OpenStack rules: security groups and flavors, read from the provider's type tokens and inputs.
import { flavorNames } from "../../components/config/flavors";
import { KNOWN } from "../known";
import { Finding, isObject, isUnknown, ResourceRule, ResourceView, StackRule, StackView, str } from "../view";

export const SEC_GROUP_RULE = "openstack:networking/secGroupRule:SecGroupRule";
export const SEC_GROUP = "openstack:networking/secGroup:SecGroup";
/** The older Nova security group, whose rules are inline (`rules[]`). */
export const COMPUTE_SEC_GROUP = "openstack:compute/secGroup:SecGroup";
export const INSTANCE = "openstack:compute/instance:Instance";

/** Ports that must never be reachable from anywhere, and what listens there. */
export const ADMIN_PORTS: Readonly<Record<number, string>> = {
  22: "SSH",
  2379: "etcd client",
  2380: "etcd peer",
  5432: "PostgreSQL",
  6443: "Kubernetes API",
  8008: "Patroni REST API",
};

/** One ingress permission, from either kind of security group. */
interface Opening {
  resource: ResourceView;
  /** "tcp", "udp", ... or undefined for every protocol */
  protocol?: string;
  /** inclusive port range; undefined = every port */
  ports?: [number, number];
  /** the source CIDR; undefined when the source is a group */
  cidr?: string;
  fromGroup: boolean;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function portRange(min: unknown, max: unknown): [number, number] | undefined {
  const lo = num(min) ?? 0;
  const hi = num(max) ?? 0;
  // Neutron and Nova: no range (or 0) means every port; 1-65535 is every port too.
  if ((lo === 0 && hi === 0) || (lo <= 1 && hi >= 65535)) return undefined;
  return [lo || hi, hi || lo];
}

function protocolOf(v: unknown): string | undefined {
  const p = str(v)?.toLowerCase();
  return p === undefined || p === "any" || p === "-1" ? undefined : p === "6" ? "tcp" : p;
}

/** Ingress permissions of a resource; an opening whose source cannot be known yet is left out. */
export function openings(r: ResourceView): Opening[] {
  const i = r.inputs;
  if (r.type === SEC_GROUP_RULE) {
    if ((str(i.direction) ?? "ingress") !== "ingress") return [];
    if (isUnknown(i.remoteIpPrefix) || isUnknown(i.portRangeMin) || isUnknown(i.portRangeMax)) return [];
    const fromGroup = str(i.remoteGroupId) !== undefined;
    // Neither a prefix nor a group: Neutron admits every source.
    const cidr = str(i.remoteIpPrefix) ?? (fromGroup ? undefined : "0.0.0.0/0");
    return [
      {
        resource: r,
        protocol: protocolOf(i.protocol),
        ports: portRange(i.portRangeMin, i.portRangeMax),
        cidr,
        fromGroup,
      },
    ];
  }
  if (r.type === COMPUTE_SEC_GROUP && Array.isArray(i.rules)) {
    return i.rules.filter(isObject).flatMap((rule): Opening[] => {
      if (isUnknown(rule.cidr)) return [];
      const fromGroup = str(rule.fromGroupId) !== undefined || rule.self === true;
      return [
        {
          resource: r,
          protocol: protocolOf(rule.ipProtocol),
          ports: portRange(rule.fromPort, rule.toPort),
          cidr: str(rule.cidr) ?? (fromGroup ? undefined : "0.0.0.0/0"),
          fromGroup,
        },
      ];
    });
  }
  return [];
}

/** A source prefix of length 0: every address of its family. */
export function isWorld(cidr: string | undefined): boolean {
  return cidr !== undefined && /\/0$/.test(cidr);
}

function covers(o: Opening, port: number): boolean {
  if (o.protocol !== undefined && o.protocol !== "tcp") return false;
  return o.ports === undefined || (o.ports[0] <= port && port <= o.ports[1]);
}

function describePorts(o: Opening): string {
  const proto = o.protocol ?? "every protocol";
  if (o.ports === undefined) return `${proto}, every port`;
  return o.ports[0] === o.ports[1] ? `${proto}/${o.ports[0]}` : `${proto}/${o.ports[0]}-${o.ports[1]}`;
}

export const noWorldAdminPorts: ResourceRule = {
  kind: "resource",
  name: "no-world-admin-ports",
  description: "SSH, the Kubernetes API, PostgreSQL, etcd and Patroni are never open to 0.0.0.0/0",
  level: "mandatory",
  check(r) {
    return openings(r)
      .filter((o) => isWorld(o.cidr))
      .flatMap((o) =>
        Object.entries(ADMIN_PORTS)
          .filter(([port]) => covers(o, Number(port)))
          .map(([port, what]) => `${what} (tcp/${port}) is open to ${o.cidr}`),
      );
  },
};

/**
 * The security group an opening belongs to. By id when it is known (plan.json, or a group that
 * exists already); before a new group exists only its dependencies can tell, and only when
 * exactly one group is among them. `undefined` group with `known` true: not created here.
 */
function groupOf(stack: StackView, o: Opening): { group?: ResourceView; known: boolean } {
  if (o.resource.type === COMPUTE_SEC_GROUP) return { group: o.resource, known: true };
  const id = o.resource.inputs.securityGroupId;
  if (typeof id === "string" && !isUnknown(id)) {
    return { group: stack.resources.find((r) => r.type === SEC_GROUP && r.id === id), known: true };
  }
  const groups = stack.dependencies(o.resource, "securityGroupId").filter((d) => d.type === SEC_GROUP);
  return groups.length === 1 ? { group: groups[0], known: true } : { known: false };
}

function isEdgeGroup(group: ResourceView | undefined): boolean {
  const name = str(group?.inputs.name);
  return name !== undefined && KNOWN.edgeSecurityGroupName.test(name);
}

/** World-open ingress with where it lands: the edge, another group, or not known yet. */
function worldOpenings(stack: StackView): Array<{ o: Opening; edge: boolean; known: boolean }> {
  return stack.resources
    .flatMap(openings)
    .filter((o) => isWorld(o.cidr))
    .map((o) => {
      const { group, known } = groupOf(stack, o);
      return { o, edge: isEdgeGroup(group), known };
    });
}

export const worldIngressEdgeOnly: StackRule = {
  kind: "stack",
  name: "world-ingress-edge-only",
  description: "Only the edge security group takes traffic from anywhere",
  level: "mandatory",
  check(stack) {
    return worldOpenings(stack)
      .filter(({ edge, known }) => known && !edge)
      .map(({ o }) => ({
        resource: o.resource,
        message: `${describePorts(o)} is open to ${o.cidr} on a security group that is not the edge's`,
      }));
  },
};

export const securityGroupsNarrow: StackRule = {
  kind: "stack",
  name: "security-groups-narrow",
  description: "No security group rule wider than needed (80/443 on the edge are the exception)",
  level: "advisory",
  check(stack) {
    const found: Finding[] = [];
    for (const { o, edge, known } of worldOpenings(stack)) {
      const web = o.protocol === "tcp" && o.ports !== undefined && o.ports[0] === o.ports[1];
      if (!known) {
        found.push({
          resource: o.resource,
          message: `${describePorts(o)} is open to ${o.cidr} on a group that does not exist yet: checked again once it does`,
        });
      } else if (edge && !(web && KNOWN.edgeWorldPorts.includes(o.ports![0]))) {
        found.push({
          resource: o.resource,
          message: `${describePorts(o)} is open to ${o.cidr} on the edge: narrow it to the sources that need it`,
        });
      } // a world opening elsewhere: world-ingress-edge-only refuses it
    }
    for (const o of stack.resources.flatMap(openings)) {
      if (o.fromGroup || isWorld(o.cidr)) continue;
      if (o.protocol === undefined || (o.ports === undefined && ["tcp", "udp"].includes(o.protocol))) {
        found.push({
          resource: o.resource,
          message: `${describePorts(o)} is open to ${o.cidr}: name the protocol and ports`,
        });
      }
    }
    return found;
  },
};

export const jetstream2Flavors: ResourceRule = {
  kind: "resource",
  name: "jetstream2-flavors",
  description: "Instances use a flavor from Jetstream2's list (components/config/flavors.ts)",
  level: "mandatory",
  check(r) {
    if (r.type !== INSTANCE) return [];
    const flavor = r.inputs.flavorName;
    if (isUnknown(flavor)) return [];
    if (str(flavor) === undefined) {
      return ["no flavorName: give a Jetstream2 flavor by name so it can be checked"];
    }
    const known = flavorNames();
    return known.includes(flavor as string)
      ? []
      : [`flavor ${String(flavor)} is not a Jetstream2 flavor (known: ${known.join(", ")})`];
  },
};
