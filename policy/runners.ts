/**
 * Guardrail 6: CI runners are not privileged unless a scale set explicitly opts in. A privileged runner
 * pod is root on its node; any workflow of the organization that lands on it owns the node. The only
 * accepted reason is docker-in-docker, requested per scale set (`containerMode: dind` in idp:runners),
 * which components/runners.ts marks on the runner pod template with the annotation below. Host
 * namespaces and host paths are never accepted.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { chartName, isHelm, read } from "./lib";

/** The opt-in mark: an annotation on the scale set's runner pod template (`values.template.metadata`). */
export const PRIVILEGED_OPT_IN_ANNOTATION = "idp.platform/privileged-opt-in";

/** Capabilities that amount to privilege. */
const PRIVILEGED_CAPABILITIES = new Set(["ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "BPF"]);

/** Features of a pod template that need the opt-in (privileged) or are never allowed (host access). */
export function privilegedFeatures(
  podTemplate: unknown,
  where: string,
): { privileged: string[]; host: string[] } {
  const privileged: string[] = [];
  const host: string[] = [];
  const spec = read(podTemplate, "spec");
  if (spec === undefined) return { privileged, host };
  for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
    if (read(spec, field) === true) host.push(`${where}.spec.${field}`);
  }
  const volumes = read(spec, "volumes");
  if (Array.isArray(volumes)) {
    volumes.forEach((volume, i) => {
      if (read(volume, "hostPath") !== undefined) host.push(`${where}.spec.volumes[${i}] (hostPath)`);
    });
  }
  for (const group of ["initContainers", "containers"]) {
    const containers = read(spec, group);
    if (!Array.isArray(containers)) continue;
    containers.forEach((container, i) => {
      const name = read(container, "name");
      const at = `${where}.spec.${group}[${i}]${typeof name === "string" ? ` (${name})` : ""}`;
      const context = read(container, "securityContext");
      if (read(context, "privileged") === true) privileged.push(`${at} is privileged`);
      const added = read(read(context, "capabilities"), "add");
      if (Array.isArray(added)) {
        const strong = added.filter((cap) => typeof cap === "string" && PRIVILEGED_CAPABILITIES.has(cap));
        if (strong.length > 0) privileged.push(`${at} adds ${strong.join(", ")}`);
      }
    });
  }
  return { privileged, host };
}

/** Every problem of an ARC scale set release: privilege without the opt-in, and host access. */
export function runnerPrivilegeProblems(type: string, props: unknown): string[] {
  if (!isHelm(type) || chartName(read(props, "chart")) !== "gha-runner-scale-set") return [];
  const values = read(props, "values");
  if (values === undefined) return [];
  const template = read(values, "template");
  const runner = privilegedFeatures(template, "values.template");
  const listener = privilegedFeatures(read(values, "listenerTemplate"), "values.listenerTemplate");
  const mode = read(read(values, "containerMode"), "type");
  if (mode === "dind")
    runner.privileged.push("values.containerMode.type is dind (a privileged Docker daemon)");
  const optIn = read(read(read(template, "metadata"), "annotations"), PRIVILEGED_OPT_IN_ANNOTATION);
  const optedIn = typeof optIn === "string" && optIn !== "";
  const problems = [...runner.host, ...listener.host].map(
    (feature) => `${feature}: runner pods never get host access`,
  );
  problems.push(...listener.privileged.map((feature) => `${feature}: listener pods are never privileged`));
  if (!optedIn) {
    problems.push(
      ...runner.privileged.map(
        (feature) =>
          `${feature} without the opt-in: use containerMode kubernetes, or opt the scale set in to docker-in-docker (idp:runners.scaleSets[].containerMode dind), which marks it with ${PRIVILEGED_OPT_IN_ANNOTATION}`,
      ),
    );
  }
  return problems;
}

export const runnersNotPrivileged: ResourceValidationPolicy = {
  name: "runners-not-privileged",
  description:
    "Runner scale sets run no privileged container unless the scale set opts in (docker-in-docker), and never get host namespaces or host paths.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const problem of runnerPrivilegeProblems(args.type, args.props))
      reportViolation(`${args.name}: ${problem}.`);
  },
};
