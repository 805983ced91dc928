/**
 * Composed objects as the engines hand them back, and the statuses a cluster would give them. The
 * statuses are what each controller reports when its object is ready (the fields the compositions'
 * readiness checks and status patches read), nothing more.
 */
type Json = Record<string, unknown>;

/** Crossplane's annotation naming the composition resource an object was composed from. */
export const RESOURCE_NAME = "crossplane.io/composition-resource-name";

export function resourceName(object: Json): string {
  const name = ((object["metadata"] as Json | undefined)?.["annotations"] as Json | undefined)?.[
    RESOURCE_NAME
  ];
  if (typeof name !== "string")
    throw new Error(`composed object without ${RESOURCE_NAME}: ${JSON.stringify(object)}`);
  return name;
}

export function composedByName(objects: readonly Json[]): Record<string, Json> {
  return Object.fromEntries(objects.map((o) => [resourceName(o), o]));
}

const ready = { type: "Ready", status: "True", reason: "Available" };

/** The object with the status its controller reports once it is ready. */
export function withReadyStatus(object: Json): Json {
  const kind = String(object["kind"]);
  const spec = (object["spec"] ?? {}) as Json;
  let status: Json;
  switch (kind) {
    case "Deployment":
      status = {
        availableReplicas: 2,
        readyReplicas: 2,
        conditions: [{ type: "Available", status: "True", reason: "MinimumReplicasAvailable" }],
      };
      break;
    case "StatefulSet":
      status = { replicas: 1, readyReplicas: 1, availableReplicas: 1 };
      break;
    case "PersistentVolumeClaim":
      status = { phase: "Bound" };
      break;
    case "HorizontalPodAutoscaler":
      status = { conditions: [{ type: "AbleToScale", status: "True", reason: "ReadyForNewScale" }] };
      break;
    case "Service":
    case "PodDisruptionBudget":
      status = {};
      break;
    case "Object":
      // provider-kubernetes reports the object as it exists on the other cluster (status.atProvider.manifest).
      status = {
        atProvider: { manifest: withReadyStatus((spec["forProvider"] as { manifest: Json }).manifest) },
        conditions: [ready],
      };
      break;
    case "Instance":
      status = {
        atProvider: {
          address: `${String((object["metadata"] as Json)["name"])}.abcdefghij.rds.amazonaws.com`,
          port: 5432,
        },
        conditions: [ready],
      };
      break;
    default:
      status = { conditions: [ready] };
  }
  void spec;
  return { ...object, status };
}

/**
 * What both renderers agree to compare: the object as composed, without what only the real reconciler
 * adds (owner references, the composite labels and annotations, the XR's namespace, generated names).
 */
export function normalizeComposed(object: Json, xr: Json, named = true): Json {
  const copy = structuredClone(object);
  const metadata = (copy["metadata"] ?? {}) as Json;
  delete metadata["ownerReferences"];
  delete metadata["generateName"];
  if (metadata["namespace"] === (xr["metadata"] as Json)["namespace"]) delete metadata["namespace"];
  for (const field of ["labels", "annotations"] as const) {
    const map = { ...((metadata[field] ?? {}) as Record<string, unknown>) };
    for (const key of Object.keys(map)) if (key.startsWith("crossplane.io/")) delete map[key];
    if (Object.keys(map).length === 0) delete metadata[field];
    else metadata[field] = map;
  }
  // Objects the composition leaves unnamed get a generated name from the real reconciler only.
  if (!named) delete metadata["name"];
  delete copy["status"];
  if (Object.keys(metadata).length === 0) delete copy["metadata"];
  else copy["metadata"] = metadata;
  return copy;
}
