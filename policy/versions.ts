/**
 * Guardrail 1: what runs is pinned. Helm releases install an exact version; images and Crossplane
 * packages name a tag other than `latest`, or a digest. Upgrades then arrive only as reviewed changes
 * of components/versions.ts (Renovate pull requests), never by a registry moving a tag.
 *
 * What the policy can see of a Release is what the engine sends: its inputs after the Kubernetes
 * provider's Check, which loads the chart and replaces a version range by the exact version it found
 * whenever no input is unknown (pulumi-kubernetes helm_release.go). So a range written in the program
 * is caught here only while some input is unknown; the exact pins themselves are checked before Pulumi
 * runs (components/versions.ts and tests/versions.test.ts). What this policy always catches: no
 * version at all, or a range the provider could not resolve.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import {
  chartName,
  EXACT_VERSION,
  imageObjectProblem,
  imageReferenceProblem,
  isHelm,
  read,
  walk,
} from "./lib";

export const helmChartVersionPinned: ResourceValidationPolicy = {
  name: "helm-chart-version-pinned",
  description:
    "Helm releases install an exact chart version (components/versions.ts), never a range or whatever is newest.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (!isHelm(args.type)) return;
    const version = read(args.props, "version");
    const chart = chartName(read(args.props, "chart")) ?? "(unnamed)";
    if (typeof version !== "string" || version === "") {
      reportViolation(
        `Chart ${chart} has no version, so Helm installs the newest: pin an exact version in components/versions.ts.`,
      );
    } else if (!EXACT_VERSION.test(version)) {
      reportViolation(
        `Chart ${chart} version "${version}" is not an exact version: pin one release in components/versions.ts.`,
      );
    }
  },
};

/** Crossplane package kinds whose `spec.package` is an OCI reference. */
const CROSSPLANE_PACKAGE = /^kubernetes:pkg\.crossplane\.io\/[^:]+:(Provider|Function|Configuration)$/;

/** Keys under which Kubernetes objects and Helm values never hold an image reference. */
const NO_IMAGES_BELOW: ReadonlySet<string> = new Set([
  "metadata",
  "annotations",
  "labels",
  "data",
  "stringData",
  "binaryData",
]);

/** Every unpinned image or package reference of a resource, as `path: reference problem` lines. */
export function unpinnedImages(type: string, props: unknown): string[] {
  if (!type.startsWith("kubernetes:")) return [];
  const problems: string[] = [];
  // A Helm release's images are in its values; other inputs (chart, repository) are not images.
  const root = isHelm(type) ? read(props, "values") : props;
  const prefix = isHelm(type) ? "values." : "";
  for (const leaf of walk(root, "", NO_IMAGES_BELOW)) {
    if (leaf.key !== "image") continue;
    if (typeof leaf.value === "string") {
      const problem = imageReferenceProblem(leaf.value);
      if (problem !== undefined) problems.push(`${prefix}${leaf.path} "${leaf.value}" ${problem}`);
    } else if (leaf.value !== null && typeof leaf.value === "object" && !Array.isArray(leaf.value)) {
      const problem = imageObjectProblem(leaf.value);
      if (problem !== undefined) problems.push(`${prefix}${leaf.path} ${problem}`);
    }
  }
  if (CROSSPLANE_PACKAGE.test(type)) {
    const reference = read(read(props, "spec"), "package");
    if (typeof reference === "string") {
      const problem = imageReferenceProblem(reference);
      if (problem !== undefined) problems.push(`spec.package "${reference}" ${problem}`);
    }
  }
  return problems;
}

export const imagesPinned: ResourceValidationPolicy = {
  name: "images-pinned",
  description:
    "Container images (in Helm values and Kubernetes objects) and Crossplane packages name an exact tag or a digest, never latest or no tag.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const problem of unpinnedImages(args.type, args.props)) {
      reportViolation(`${problem}: pin it in components/versions.ts.`);
    }
  },
};
