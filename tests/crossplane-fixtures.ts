/**
 * Inputs the Crossplane tests share: the references other parts provide (ingress layer, secret store),
 * AWS contexts of both identity kinds, and arguments built from the real stack files.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AwsContext, IngressLayerRef, SecretStoreRef } from "../components/contracts";
import type { CrossplaneArgs } from "../components/crossplane";
import type { DatabaseSecretsBackend } from "../components/crossplane/sql-database";
import { crossplaneSettingsFrom } from "../stacks/args";
import { parseConfig } from "../stacks/config";
import { stackConfigObject, toRaw } from "./harness";

/** Stands in for a resource of another part (a release, a store) that ours must wait for. */
export class Marker extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:Marker", name, {});
  }
}

export const GATEWAY = {
  kind: "gateway",
  gatewayName: "platform",
  gatewayNamespace: "gateway-system",
  httpsListener: "https",
} as const;

export const NGINX = {
  kind: "nginx",
  ingressClassName: "nginx",
  clusterIssuer: "letsencrypt-staging",
} as const;

export function ingressRef(
  kind: "gateway" | "nginx",
  ready: readonly pulumi.Resource[] = [],
): IngressLayerRef {
  return kind === "gateway" ? { ...GATEWAY, ready } : { ...NGINX, ready };
}

export function store(ready: readonly pulumi.Resource[] = []): SecretStoreRef {
  return { kind: "ClusterSecretStore", name: "platform-secrets", ready };
}

export function awsBackend(ready: readonly pulumi.Resource[] = []): DatabaseSecretsBackend {
  return { kind: "aws-secrets-manager", ready, prefix: "idp/prod" };
}

export function kubernetesBackend(ready: readonly pulumi.Resource[] = []): DatabaseSecretsBackend {
  return { kind: "kubernetes", ready };
}

export const IRSA: AwsContext = {
  accountId: "444455556666",
  region: "us-east-2",
  partition: "aws",
  identity: "irsa",
  oidcProviderArn: "arn:aws:iam::444455556666:oidc-provider/oidc.eks.us-east-2.amazonaws.com/id/ABC",
  clusterName: "fixture-prod",
};

export const POD_IDENTITY: AwsContext = {
  accountId: "444455556666",
  region: "us-east-2",
  partition: "aws",
  identity: "pod-identity",
  clusterName: "fixture-prod",
};

/** Lets the mocks build ARNs in the fixtures' account. */
export const AWS_MOCK_CONFIG = {
  stack: "test",
  values: { "idp:aws": JSON.stringify({ accountId: IRSA.accountId, region: IRSA.region }) },
  secretKeys: new Set<string>(),
};

/** Settings of a stack file, through the same mapping index.ts will use. */
export function stackSettings(stack: string) {
  return crossplaneSettingsFrom(parseConfig(toRaw(stackConfigObject(stack))));
}

/** Full component arguments for a stack file, with the references other parts would provide. */
export function stackArgs(
  stack: string,
  ingress: IngressLayerRef,
  secrets?: DatabaseSecretsBackend,
): CrossplaneArgs {
  const settings = stackSettings(stack);
  return {
    ...settings,
    ingress,
    databaseSecrets: secrets ?? (settings.aws !== undefined ? awsBackend() : kubernetesBackend()),
  };
}
