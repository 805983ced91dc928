/**
 * Validates custom resources with the @kubernetes-models packages (generated from the upstream Go API
 * types): required fields, types, enums and patterns. They accept unknown fields, so tests also run
 * `crdValidator()` (../shared/crds), which rejects them.
 *
 * The packages are ES modules only; mocha loads the tests as CommonJS, so they are imported dynamically.
 */

/** Module folder of each served API version the platform creates objects of. */
const MODEL_MODULES: Readonly<Record<string, string>> = {
  "cert-manager.io/v1": "@kubernetes-models/cert-manager/cert-manager.io/v1",
  "external-secrets.io/v1": "@kubernetes-models/external-secrets/external-secrets.io/v1",
  "gateway.networking.k8s.io/v1": "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1",
  "gateway.envoyproxy.io/v1alpha1": "@kubernetes-models/envoy-gateway/gateway.envoyproxy.io/v1alpha1",
};

type ModelClass = new (data: unknown) => { validate(): void };

/** Validation errors of one object ([] when valid); throws when no model covers its apiVersion/kind. */
export async function modelErrors(object: Record<string, unknown>): Promise<string[]> {
  const apiVersion = String(object["apiVersion"]);
  const kind = String(object["kind"]);
  const folder = MODEL_MODULES[apiVersion];
  if (folder === undefined) throw new Error(`no @kubernetes-models package for ${apiVersion}`);
  const module = (await import(`${folder}/${kind}`)) as Record<string, ModelClass | undefined>;
  const Model = module[kind];
  if (Model === undefined) throw new Error(`${folder}/${kind} exports no ${kind}`);
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [`${kind}: ${error instanceof Error ? error.message : String(error)}`];
  }
}
