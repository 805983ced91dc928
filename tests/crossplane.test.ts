/**
 * The `Crossplane` component alone (it is wired into Platform by the integrator): for each stack file
 * and ingress layer, what it installs, how it orders it, how it protects it per profile, the AWS
 * identity of its providers and the exact IAM scope, and upstream validity of every object.
 */
import * as assert from "node:assert/strict";
import { assertScopedPolicy, type PolicyDocument } from "../components/aws-identity";
import {
  Crossplane,
  COMPOSITION_NAMES,
  crossplaneValues,
  validateCrossplaneArgs,
  type CrossplaneArgs,
} from "../components/crossplane";
import { appComposition } from "../components/crossplane/app";
import {
  assertDescribeOnlyPolicy,
  describePolicy,
  ec2ProviderPolicy,
  rdsProviderPolicy,
} from "../components/crossplane/aws-iam";
import { sqlDatabaseComposition } from "../components/crossplane/sql-database";
import { CHARTS, CROSSPLANE_PACKAGES, packageReference } from "../components/versions";
import { PROFILES } from "../stacks/profiles";
import type { ResourceRecord } from "../synth/records";
import { crdValidator } from "./crd-schema";
import {
  AWS_MOCK_CONFIG,
  awsBackend,
  ingressRef,
  IRSA,
  kubernetesBackend,
  Marker,
  POD_IDENTITY,
  stackArgs,
  stackSettings,
} from "./crossplane-fixtures";
import { synthProgram, type Synth } from "./harness";

type Json = Record<string, unknown>;

const CR = (group: string, kind: string) => `kubernetes:${group}:${kind}`;
const TYPES = {
  release: "kubernetes:helm.sh/v3:Release",
  namespace: "kubernetes:core/v1:Namespace",
  provider: CR("pkg.crossplane.io/v1", "Provider"),
  fn: CR("pkg.crossplane.io/v1", "Function"),
  runtime: CR("pkg.crossplane.io/v1beta1", "DeploymentRuntimeConfig"),
  activations: CR("apiextensions.crossplane.io/v1alpha1", "ManagedResourceActivationPolicy"),
  xrd: CR("apiextensions.crossplane.io/v2", "CompositeResourceDefinition"),
  composition: CR("apiextensions.crossplane.io/v1", "Composition"),
  clusterUsage: CR("protection.crossplane.io/v1beta1", "ClusterUsage"),
  awsConfig: CR("aws.m.upbound.io/v1beta1", "ClusterProviderConfig"),
  kubernetesConfig: CR("kubernetes.m.crossplane.io/v1alpha1", "ClusterProviderConfig"),
  helmConfig: CR("helm.m.crossplane.io/v1beta1", "ClusterProviderConfig"),
  clusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  association: "aws:eks/podIdentityAssociation:PodIdentityAssociation",
} as const;

const synthCache = new Map<string, Promise<Synth>>();

/** The component for a stack file (results are read-only, so each variant is evaluated once). */
async function synthCrossplane(
  stack: "dev" | "staging" | "prod",
  ingress: "gateway" | "nginx" = "gateway",
  preview = false,
): Promise<Synth> {
  const key = `${stack}/${ingress}/${preview}`;
  const cached = synthCache.get(key);
  if (cached !== undefined) return cached;
  const synth = evaluate(stack, ingress, preview);
  synthCache.set(key, synth);
  return synth;
}

async function evaluate(stack: "dev" | "staging" | "prod", ingress: "gateway" | "nginx", preview: boolean) {
  return synthProgram(
    () => {
      const ingressReady = new Marker("ingress-ready");
      const storeReady = new Marker("store-ready");
      const args = stackArgs(stack, ingressRef(ingress, [ingressReady]));
      const secrets = args.aws !== undefined ? awsBackend([storeReady]) : kubernetesBackend([storeReady]);
      new Crossplane("crossplane", { ...args, databaseSecrets: secrets });
    },
    { config: AWS_MOCK_CONFIG, preview },
  );
}

function named(synth: Synth, name: string): ResourceRecord {
  return synth.byName(`crossplane-${name}`);
}

function typesAndNames(synth: Synth): string[] {
  return synth
    .find((r) => r.custom && !r.type.startsWith("pulumi:providers:") && r.type !== "test:index:Marker")
    .map((r) => `${r.type} ${r.name}`)
    .sort();
}

const BASE_RESOURCES = [
  `${TYPES.namespace} crossplane-namespace`,
  `${TYPES.release} crossplane-release`,
  `${TYPES.activations} crossplane-activations`,
  ...["kubernetes", "helm", "sql"].flatMap((p) => [
    `${TYPES.runtime} crossplane-runtime-${p}`,
    `${TYPES.provider} crossplane-provider-${p}`,
  ]),
  `${TYPES.kubernetesConfig} crossplane-providerconfig-kubernetes`,
  `${TYPES.helmConfig} crossplane-providerconfig-helm`,
  `${TYPES.fn} crossplane-function-patch-and-transform`,
  `${TYPES.fn} crossplane-function-cel-filter`,
  `${TYPES.clusterRole} crossplane-compose-app`,
  `${TYPES.clusterRole} crossplane-compose-sqldatabase`,
  `${TYPES.xrd} crossplane-xrd-app`,
  `${TYPES.xrd} crossplane-xrd-sqldatabase`,
  `${TYPES.composition} crossplane-composition-app`,
  `${TYPES.composition} crossplane-composition-sqldatabase`,
];

const AWS_RESOURCES = [
  ...["family-aws", "aws-rds", "aws-ec2"].flatMap((p) => [
    `${TYPES.runtime} crossplane-runtime-${p}`,
    `${TYPES.provider} crossplane-provider-${p}`,
  ]),
  `${TYPES.awsConfig} crossplane-providerconfig-aws`,
  `${TYPES.clusterUsage} crossplane-usage-aws-providerconfig`,
  `${TYPES.role} crossplane-aws-rds-identity`,
  `${TYPES.role} crossplane-aws-ec2-identity`,
  `${TYPES.rolePolicy} crossplane-aws-rds-identity-policy`,
  `${TYPES.rolePolicy} crossplane-aws-ec2-identity-policy`,
  `${TYPES.rolePolicy} crossplane-aws-ec2-identity-describe`,
];

describe("Crossplane component", () => {
  describe("for each stack file", () => {
    it("installs the in-cluster variant on dev: no AWS providers, no IAM", async () => {
      assert.deepEqual(typesAndNames(await synthCrossplane("dev")), [...BASE_RESOURCES].sort());
    });

    it("installs the RDS variant on staging (Pod Identity) and prod (IRSA)", async () => {
      assert.deepEqual(
        typesAndNames(await synthCrossplane("staging")),
        [
          ...BASE_RESOURCES,
          ...AWS_RESOURCES,
          `${TYPES.association} crossplane-aws-rds-identity-association`,
          `${TYPES.association} crossplane-aws-ec2-identity-association`,
        ].sort(),
      );
      assert.deepEqual(
        typesAndNames(await synthCrossplane("prod")),
        [...BASE_RESOURCES, ...AWS_RESOURCES].sort(),
      );
    });

    for (const stack of ["dev", "staging", "prod"] as const) {
      for (const ingress of ["gateway", "nginx"] as const) {
        it(`synthesizes ${stack} with the ${ingress} ingress layer in preview too`, async () => {
          const normal = await synthCrossplane(stack, ingress);
          const preview = await synthCrossplane(stack, ingress, true);
          assert.deepEqual(typesAndNames(preview), typesAndNames(normal));
          const component = normal.one("idp:crossplane:Crossplane", "crossplane");
          for (const child of normal.descendants(component))
            assert.ok(child.name.startsWith("crossplane-"), child.name);
        });
      }
    }
  });

  it("installs the pinned chart into crossplane-system, replicas from the profile, no packages by Helm", async () => {
    for (const stack of ["dev", "prod"] as const) {
      const synth = await synthCrossplane(stack);
      const release = synth.inputs(named(synth, "release"));
      assert.deepEqual(
        [
          release["chart"],
          release["version"],
          release["repositoryOpts"],
          release["namespace"],
          release["name"],
        ],
        [
          "crossplane",
          CHARTS.crossplane.version,
          { repo: "https://charts.crossplane.io/stable" },
          "crossplane-system",
          "crossplane",
        ],
      );
      const replicas = PROFILES[stack].controllerReplicas;
      assert.deepEqual(release["values"], {
        replicas,
        leaderElection: true,
        rbacManager: { deploy: true, replicas, leaderElection: true },
        provider: { defaultActivations: [] },
        metrics: { enabled: true },
      });
      assert.deepEqual(release["values"], crossplaneValues(PROFILES[stack]));
      const ns = synth.inputs(named(synth, "namespace"));
      assert.equal((ns["metadata"] as { name: string }).name, "crossplane-system");
      assert.equal(
        (ns["metadata"] as { labels: Record<string, string> }).labels["pod-security.kubernetes.io/enforce"],
        "baseline",
      );
    }
  });

  it("protects and retains Crossplane, its namespace, providers, XRDs and the AWS provider config as the profile says", async () => {
    const protectedIn = async (stack: "dev" | "staging" | "prod") => {
      const synth = await synthCrossplane(stack);
      for (const record of synth.find((r) => r.custom)) {
        assert.equal(record.options.retainOnDelete ?? false, record.options.protect ?? false, record.name);
      }
      return synth
        .find((r) => r.custom && r.options.protect === true)
        .map((r) => r.name)
        .sort();
    };
    assert.deepEqual(await protectedIn("dev"), []);
    const stateful = [
      "crossplane-namespace",
      "crossplane-release",
      "crossplane-provider-kubernetes",
      "crossplane-provider-helm",
      "crossplane-provider-sql",
      "crossplane-provider-family-aws",
      "crossplane-provider-aws-rds",
      "crossplane-provider-aws-ec2",
      "crossplane-providerconfig-aws",
      "crossplane-xrd-app",
      "crossplane-xrd-sqldatabase",
    ].sort();
    assert.deepEqual(await protectedIn("prod"), stateful);
    // Staging protects stateful resources too (its profile says so); only dev does not.
    assert.deepEqual(await protectedIn("staging"), stateful);
  });

  it("installs pinned providers and functions that Pulumi waits for until Installed and Healthy", async () => {
    const synth = await synthCrossplane("prod");
    const packages = (type: string) =>
      synth
        .ofType(type)
        .map((r) => {
          const inputs = synth.inputs<{ metadata: Json; spec: Json }>(r);
          assert.deepEqual(inputs.metadata["annotations"], {
            "pulumi.com/waitFor": '["condition=Installed","condition=Healthy"]',
          });
          return [inputs.metadata["name"], inputs.spec["package"]];
        })
        .sort();
    // Every package at its pin in the versions module (a bump there is all it takes).
    const ref = (pin: keyof typeof CROSSPLANE_PACKAGES) => packageReference(CROSSPLANE_PACKAGES[pin]);
    assert.deepEqual(packages(TYPES.provider), [
      ["provider-aws-ec2", ref("providerAwsEc2")],
      ["provider-aws-rds", ref("providerAwsRds")],
      ["provider-family-aws", ref("providerFamilyAws")],
      ["provider-helm", ref("providerHelm")],
      ["provider-kubernetes", ref("providerKubernetes")],
      ["provider-sql", ref("providerSql")],
    ]);
    assert.deepEqual(packages(TYPES.fn), [
      ["function-cel-filter", ref("functionCelFilter")],
      ["function-patch-and-transform", ref("functionPatchAndTransform")],
    ]);
    for (const [, reference] of [...packages(TYPES.provider), ...packages(TYPES.fn)]) {
      assert.match(
        String(reference),
        /^xpkg\.crossplane\.io\/crossplane-contrib\/[a-z0-9-]+:v\d+\.\d+\.\d+$/,
      );
    }
  });

  it("runs every provider as its own fixed service account, the AWS ones with IRSA role annotations", async () => {
    const synth = await synthCrossplane("prod");
    for (const provider of synth.ofType(TYPES.provider)) {
      const inputs = synth.inputs<{ metadata: { name: string }; spec: { runtimeConfigRef: Json } }>(provider);
      const name = inputs.metadata.name;
      assert.deepEqual(inputs.spec.runtimeConfigRef, {
        apiVersion: "pkg.crossplane.io/v1beta1",
        kind: "DeploymentRuntimeConfig",
        name,
      });
      const runtime = synth
        .ofType(TYPES.runtime)
        .map((r) => synth.inputs<{ metadata: { name: string }; spec: Json }>(r))
        .find((r) => r.metadata.name === name);
      assert.ok(runtime, `runtime config ${name}`);
      const role = { "provider-aws-rds": "rds", "provider-aws-ec2": "ec2" }[name];
      assert.deepEqual(runtime.spec, {
        serviceAccountTemplate: {
          metadata: {
            name,
            ...(role !== undefined
              ? {
                  annotations: {
                    "eks.amazonaws.com/role-arn": `arn:aws:iam::444455556666:role/fixture-prod-crossplane-aws-${role}`,
                  },
                }
              : {}),
          },
        },
      });
    }
    const trust = JSON.parse(
      synth.inputs(named(synth, "aws-rds-identity"))["assumeRolePolicy"] as string,
    ) as {
      Statement: Array<{ Condition: { StringEquals: Record<string, string> } }>;
    };
    assert.equal(
      Object.values(trust.Statement[0]!.Condition.StringEquals)[0],
      "system:serviceaccount:crossplane-system:provider-aws-rds",
    );
    assert.deepEqual(synth.inputs(synth.one(TYPES.awsConfig))["spec"], { credentials: { source: "IRSA" } });
  });

  it("binds the AWS providers' service accounts with Pod Identity on staging", async () => {
    const synth = await synthCrossplane("staging");
    const associations = synth.ofType(TYPES.association).map((r) => synth.inputs(r));
    assert.deepEqual(associations.map((a) => [a["namespace"], a["serviceAccount"], a["roleArn"]]).sort(), [
      [
        "crossplane-system",
        "provider-aws-ec2",
        "arn:aws:iam::444455556666:role/fixture-staging-crossplane-aws-ec2",
      ],
      [
        "crossplane-system",
        "provider-aws-rds",
        "arn:aws:iam::444455556666:role/fixture-staging-crossplane-aws-rds",
      ],
    ]);
    assert.deepEqual(synth.inputs(synth.one(TYPES.awsConfig))["spec"], {
      credentials: { source: "PodIdentity" },
    });
    for (const key of ["aws-rds", "aws-ec2"]) {
      const runtime = synth.inputs<{ spec: Json }>(named(synth, `runtime-${key}`));
      assert.deepEqual(runtime.spec, {
        serviceAccountTemplate: { metadata: { name: `provider-${key}`, annotations: {} } },
      });
      assert.ok(synth.dependsOn(named(synth, `runtime-${key}`), named(synth, `${key}-identity-association`)));
    }
  });

  describe("ordering", () => {
    it("creates nothing custom before the Crossplane release", async () => {
      for (const stack of ["dev", "prod"] as const) {
        const synth = await synthCrossplane(stack);
        const release = named(synth, "release");
        const custom = synth.find(
          (r) =>
            r.custom &&
            r.type.startsWith("kubernetes:") &&
            ![TYPES.release, TYPES.namespace, TYPES.clusterRole].includes(r.type as never),
        );
        assert.ok(custom.length >= 15);
        for (const record of custom) {
          assert.ok(
            record.dependencies.includes(release.urn),
            `${record.name} depends on the release directly`,
          );
        }
        assert.ok(synth.dependsOn(release, named(synth, "namespace")));
      }
    });

    it("creates provider configs only after their providers are healthy", async () => {
      const synth = await synthCrossplane("prod");
      const pairs: Array<[string, string[]]> = [
        ["providerconfig-kubernetes", ["provider-kubernetes"]],
        ["providerconfig-helm", ["provider-helm"]],
        ["providerconfig-aws", ["provider-family-aws", "provider-aws-rds", "provider-aws-ec2"]],
      ];
      for (const [config, providers] of pairs) {
        for (const provider of providers) {
          assert.ok(
            synth.dependsOn(named(synth, config), named(synth, provider)),
            `${config} after ${provider}`,
          );
        }
      }
      for (const provider of ["aws-rds", "aws-ec2"]) {
        assert.ok(synth.dependsOn(named(synth, `provider-${provider}`), named(synth, "provider-family-aws")));
        assert.ok(synth.dependsOn(named(synth, `provider-${provider}`), named(synth, `runtime-${provider}`)));
        assert.ok(
          synth.dependsOn(named(synth, `runtime-${provider}`), named(synth, `${provider}-identity-policy`)),
        );
      }
      assert.ok(synth.dependsOn(named(synth, "runtime-aws-ec2"), named(synth, "aws-ec2-identity-describe")));
      for (const provider of synth.ofType(TYPES.provider)) {
        assert.ok(synth.dependsOn(provider, named(synth, "activations")), provider.name);
      }
    });

    it("creates compositions after the functions they call, their XRD, their RBAC and what they compose on", async () => {
      for (const stack of ["dev", "prod"] as const) {
        const synth = await synthCrossplane(stack);
        const app = named(synth, "composition-app");
        const sql = named(synth, "composition-sqldatabase");
        for (const [composition, required] of [
          [app, ["xrd-app", "compose-app", "function-patch-and-transform", "function-cel-filter"]],
          [sql, ["xrd-sqldatabase", "compose-sqldatabase", "function-patch-and-transform", "provider-sql"]],
        ] as const) {
          for (const name of required)
            assert.ok(synth.dependsOn(composition, named(synth, name)), `${composition.name} after ${name}`);
        }
        // The in-cluster SQLDatabase pipeline has no filter step, so it does not wait for
        // function-cel-filter; on RDS the connection Secrets wait for the address through a filter.
        assert.equal(synth.dependsOn(sql, named(synth, "function-cel-filter")), stack === "prod");
        assert.ok(synth.dependsOn(app, synth.one("test:index:Marker", "ingress-ready")));
        assert.ok(synth.dependsOn(sql, synth.one("test:index:Marker", "store-ready")));
        if (stack === "prod") {
          for (const name of ["provider-aws-rds", "provider-aws-ec2", "providerconfig-aws"]) {
            assert.ok(synth.dependsOn(sql, named(synth, name)), name);
            assert.ok(synth.dependsOn(named(synth, "xrd-sqldatabase"), named(synth, name)), name);
          }
        }
      }
    });

    it("keeps the AWS provider config while the SQLDatabase API exists (ClusterUsage)", async () => {
      const synth = await synthCrossplane("prod");
      const usage = synth.one(TYPES.clusterUsage);
      assert.deepEqual(synth.inputs(usage)["spec"], {
        of: {
          apiVersion: "aws.m.upbound.io/v1beta1",
          kind: "ClusterProviderConfig",
          resourceRef: { name: "default" },
        },
        by: {
          apiVersion: "apiextensions.crossplane.io/v2",
          kind: "CompositeResourceDefinition",
          resourceRef: { name: "sqldatabases.platform.idp.internal" },
        },
      });
      assert.ok(synth.dependsOn(usage, named(synth, "providerconfig-aws")));
      assert.ok(synth.dependsOn(usage, named(synth, "xrd-sqldatabase")));
    });
  });

  it("renders the stack's XRDs and Compositions: ingress layer, domain, profile and database mode", async () => {
    for (const [stack, ingress] of [
      ["dev", "nginx"],
      ["prod", "gateway"],
    ] as const) {
      const synth = await synthCrossplane(stack, ingress);
      const args = stackArgs(stack, ingressRef(ingress));
      const spec = (name: string) => synth.inputs<{ spec: Json }>(named(synth, name)).spec;
      const mode = stack === "dev" ? "in-cluster" : "rds";
      assert.deepEqual(spec("xrd-app")["defaultCompositionRef"], { name: COMPOSITION_NAMES.app(ingress) });
      assert.deepEqual(spec("xrd-sqldatabase")["defaultCompositionRef"], {
        name: COMPOSITION_NAMES.sqlDatabase(mode),
      });
      assert.deepEqual(
        spec("composition-app"),
        JSON.parse(
          JSON.stringify(
            appComposition({
              name: COMPOSITION_NAMES.app(ingress),
              domain: args.domain,
              ingress: ingressRef(ingress),
            }).spec,
          ),
        ),
      );
      assert.equal(
        synth.inputs<{ metadata: { labels: Json } }>(named(synth, "composition-sqldatabase")).metadata.labels[
          "idp.platform/database-mode"
        ],
        mode,
      );
      const expectedSql = sqlDatabaseComposition({
        name: COMPOSITION_NAMES.sqlDatabase(mode),
        clusterName: args.clusterName,
        profile: args.profile,
        secrets: args.databaseSecrets,
        server:
          args.databases.mode === "rds"
            ? { ...args.databases, region: args.aws!.region, providerConfigName: "default" }
            : { mode: "in-cluster" },
      });
      assert.deepEqual(spec("composition-sqldatabase"), JSON.parse(JSON.stringify(expectedSql.spec)));
    }
  });

  it("activates only the composed managed resources, and grants Crossplane exactly the composed kinds", async () => {
    const synth = await synthCrossplane("dev");
    assert.deepEqual(synth.inputs(named(synth, "activations"))["spec"], {
      activate: [
        "databases.postgresql.sql.m.crossplane.io",
        "grants.postgresql.sql.m.crossplane.io",
        "objects.kubernetes.m.crossplane.io",
        "roles.postgresql.sql.m.crossplane.io",
      ],
    });
    const role = synth.inputs<{ metadata: { name: string; labels: Json }; rules: Json[] }>(
      named(synth, "compose-app"),
    );
    assert.equal(role.metadata.name, "crossplane:compose:app");
    assert.equal(role.metadata.labels["rbac.crossplane.io/aggregate-to-crossplane"], "true");
    // Autoscaler, route, disruption budget and (workload clusters) Objects: services, deployments and
    // usages come with Crossplane.
    assert.deepEqual(
      role.rules.map((r) => r["apiGroups"]),
      [["autoscaling"], ["gateway.networking.k8s.io"], ["kubernetes.m.crossplane.io"], ["policy"]],
    );
  });

  it("grants provider-kubernetes and provider-helm nothing beyond their own CRDs", async () => {
    const synth = await synthCrossplane("prod");
    for (const key of ["kubernetes", "helm"]) {
      assert.deepEqual(synth.inputs(named(synth, `providerconfig-${key}`))["spec"], {
        credentials: { source: "InjectedIdentity" },
      });
    }
    // The only RBAC the component creates is for Crossplane itself (aggregated), none for providers.
    for (const role of synth.ofType(TYPES.clusterRole)) {
      assert.equal(
        synth.inputs<{ metadata: { labels: Json } }>(role).metadata.labels[
          "rbac.crossplane.io/aggregate-to-crossplane"
        ],
        "true",
      );
    }
    assert.equal(synth.find((r) => r.type.includes("RoleBinding")).length, 0);
  });

  it("validates every Crossplane object against the upstream CRDs", async function () {
    const validator = crdValidator();
    if (!validator) return this.skip(); // ../shared/crds is absent: nothing to validate against
    for (const stack of ["dev", "staging", "prod"] as const) {
      const synth = await synthCrossplane(stack);
      const objects = synth.find(
        (r) =>
          r.custom &&
          r.type.startsWith("kubernetes:") &&
          ![TYPES.release, TYPES.namespace, TYPES.clusterRole].includes(r.type as never),
      );
      for (const record of objects)
        assert.deepEqual(validator.validate(synth.inputs(record)), [], record.name);
    }
  });
});

describe("AWS provider IAM", () => {
  const NETWORK = { vpcId: "vpc-0123456789abcdef0" };

  it("scopes the RDS provider to tagged DB instances and subnet groups of its region and account", () => {
    const rds = "arn:aws:rds:us-east-2:444455556666";
    const policy = rdsProviderPolicy(IRSA);
    assert.deepEqual(policy.Statement, [
      {
        Sid: "CreateTaggedDatabases",
        Effect: "Allow",
        Action: ["rds:CreateDBInstance", "rds:CreateDBSubnetGroup", "rds:AddTagsToResource"],
        Resource: [`${rds}:db:*`, `${rds}:subgrp:*`],
        Condition: { StringEquals: { "aws:RequestTag/idp:cluster": "fixture-prod" } },
      },
      {
        Sid: "ManageOwnDatabases",
        Effect: "Allow",
        Action: [
          "rds:ModifyDBInstance",
          "rds:RebootDBInstance",
          "rds:DeleteDBInstance",
          "rds:ModifyDBSubnetGroup",
          "rds:DeleteDBSubnetGroup",
          "rds:AddTagsToResource",
          "rds:RemoveTagsFromResource",
        ],
        Resource: [`${rds}:db:*`, `${rds}:subgrp:*`],
        Condition: { StringEquals: { "aws:ResourceTag/idp:cluster": "fixture-prod" } },
      },
      {
        Sid: "UseDefaultGroups",
        Effect: "Allow",
        Action: ["rds:CreateDBInstance", "rds:ModifyDBInstance"],
        Resource: [`${rds}:pg:default.*`, `${rds}:og:default:*`],
      },
      {
        Sid: "ReadDatabases",
        Effect: "Allow",
        Action: ["rds:DescribeDBInstances", "rds:DescribeDBSubnetGroups", "rds:ListTagsForResource"],
        Resource: [`${rds}:db:*`, `${rds}:subgrp:*`],
      },
      {
        Sid: "CreateRdsServiceLinkedRole",
        Effect: "Allow",
        Action: ["iam:CreateServiceLinkedRole"],
        Resource: ["arn:aws:iam::444455556666:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS"],
        Condition: { StringEquals: { "iam:AWSServiceName": "rds.amazonaws.com" } },
      },
    ]);
    assert.doesNotThrow(() => assertScopedPolicy(policy, "rds"));
  });

  it("scopes the EC2 provider to tagged security groups in the configured VPC", () => {
    const ec2 = "arn:aws:ec2:us-east-2:444455556666";
    const policy = ec2ProviderPolicy(POD_IDENTITY, NETWORK);
    assert.deepEqual(policy.Statement, [
      {
        Sid: "CreateTaggedSecurityGroups",
        Effect: "Allow",
        Action: ["ec2:CreateSecurityGroup"],
        Resource: [`${ec2}:security-group/*`],
        Condition: { StringEquals: { "aws:RequestTag/idp:cluster": "fixture-prod" } },
      },
      {
        Sid: "CreateSecurityGroupsInVpc",
        Effect: "Allow",
        Action: ["ec2:CreateSecurityGroup"],
        Resource: [`${ec2}:vpc/vpc-0123456789abcdef0`],
      },
      {
        Sid: "TagOnCreate",
        Effect: "Allow",
        Action: ["ec2:CreateTags"],
        Resource: [`${ec2}:security-group/*`, `${ec2}:security-group-rule/*`],
        Condition: {
          StringEquals: { "ec2:CreateAction": ["CreateSecurityGroup", "AuthorizeSecurityGroupIngress"] },
        },
      },
      {
        Sid: "ManageOwnSecurityGroups",
        Effect: "Allow",
        Action: [
          "ec2:AuthorizeSecurityGroupIngress",
          "ec2:RevokeSecurityGroupIngress",
          "ec2:RevokeSecurityGroupEgress",
          "ec2:ModifySecurityGroupRules",
          "ec2:DeleteSecurityGroup",
          "ec2:CreateTags",
          "ec2:DeleteTags",
        ],
        Resource: [`${ec2}:security-group/*`],
        Condition: {
          StringEquals: { "aws:ResourceTag/idp:cluster": "fixture-prod" },
          ArnEquals: { "ec2:Vpc": `${ec2}:vpc/vpc-0123456789abcdef0` },
        },
      },
      {
        Sid: "CreateTaggedRules",
        Effect: "Allow",
        Action: ["ec2:AuthorizeSecurityGroupIngress"],
        Resource: [`${ec2}:security-group-rule/*`],
        Condition: { StringEquals: { "aws:RequestTag/idp:cluster": "fixture-prod" } },
      },
      {
        Sid: "ManageOwnRules",
        Effect: "Allow",
        Action: ["ec2:ModifySecurityGroupRules", "ec2:CreateTags", "ec2:DeleteTags"],
        Resource: [`${ec2}:security-group-rule/*`],
        Condition: { StringEquals: { "aws:ResourceTag/idp:cluster": "fixture-prod" } },
      },
    ]);
    // Nothing but creation inside the VPC and tagging during creation goes without the cluster tag.
    for (const statement of policy.Statement) {
      if (statement.Sid === "CreateSecurityGroupsInVpc" || statement.Sid === "TagOnCreate") continue;
      const tags = statement.Condition?.["StringEquals"] ?? {};
      assert.ok("aws:ResourceTag/idp:cluster" in tags || "aws:RequestTag/idp:cluster" in tags, statement.Sid);
    }
    assert.ok(
      !policy.Statement.some((s) => s.Action.includes("ec2:UpdateSecurityGroupRuleDescriptionsIngress")),
    );
    assert.doesNotThrow(() => assertScopedPolicy(policy, "ec2"));
  });

  it("keeps the describe calls AWS authorizes only on * in a separate read-only, region-bound policy", () => {
    const policy = describePolicy(IRSA);
    assert.deepEqual(policy.Statement, [
      {
        Sid: "DescribeWithoutResourceLevelPermissions",
        Effect: "Allow",
        Action: [
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeSecurityGroupRules",
          "ec2:DescribeNetworkInterfaces",
        ],
        Resource: ["*"],
        Condition: { StringEquals: { "aws:RequestedRegion": "us-east-2" } },
      },
    ]);
    assert.doesNotThrow(() => assertDescribeOnlyPolicy(policy, "describe"));
    const widened: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [
        { ...policy.Statement[0]!, Action: ["ec2:DescribeSecurityGroups", "ec2:DeleteSecurityGroup"] },
      ],
    };
    assert.throws(
      () => assertDescribeOnlyPolicy(widened, "role x"),
      /role x: "ec2:DeleteSecurityGroup" is not a describe action without resource-level permissions/,
    );
    const { Condition: _dropped, ...unbounded } = policy.Statement[0]!;
    assert.throws(
      () => assertDescribeOnlyPolicy({ Version: "2012-10-17", Statement: [unbounded] }, "role x"),
      /role x: describe statements must be limited with aws:RequestedRegion/,
    );
  });

  it("attaches exactly these policies to the providers' roles", async () => {
    const synth = await synthCrossplane("prod");
    const settings = stackSettings("prod");
    const policyOf = (name: string) =>
      JSON.parse(synth.inputs(named(synth, name))["policy"] as string) as unknown;
    // prod keeps data (Orphan): its roles cannot delete; staging's can.
    const keeps = { deletes: false };
    assert.deepEqual(policyOf("aws-rds-identity-policy"), rdsProviderPolicy(settings.aws!, keeps));
    assert.deepEqual(
      policyOf("aws-ec2-identity-policy"),
      ec2ProviderPolicy(settings.aws!, { vpcId: "vpc-0123456789abcdef0" }, keeps),
    );
    const actions = (policy: unknown) =>
      (policy as { Statement: Array<{ Action: string[] }> }).Statement.flatMap((s) => s.Action);
    const prodActions = [
      ...actions(policyOf("aws-rds-identity-policy")),
      ...actions(policyOf("aws-ec2-identity-policy")),
    ];
    for (const action of [
      "rds:DeleteDBInstance",
      "rds:DeleteDBSubnetGroup",
      "ec2:DeleteSecurityGroup",
      "ec2:RevokeSecurityGroupIngress",
    ]) {
      assert.ok(!prodActions.includes(action), `prod may not ${action}`);
    }
    const staging = await synthCrossplane("staging");
    const stagingRds = JSON.parse(
      staging.inputs(named(staging, "aws-rds-identity-policy"))["policy"] as string,
    ) as unknown;
    assert.ok(actions(stagingRds).includes("rds:DeleteDBInstance"), "staging deletes what it drops");
    assert.deepEqual(policyOf("aws-ec2-identity-describe"), describePolicy(settings.aws!));
    assert.deepEqual(
      synth
        .ofType(TYPES.role)
        .map((r) => synth.inputs(r)["name"])
        .sort(),
      ["fixture-prod-crossplane-aws-ec2", "fixture-prod-crossplane-aws-rds"],
    );
  });
});

describe("Crossplane arguments", () => {
  it("come from the stack files: in-cluster on dev, RDS with the stack's identity on staging and prod", () => {
    const dev = stackSettings("dev");
    assert.deepEqual(dev.databases, { mode: "in-cluster" });
    assert.equal(dev.aws, undefined);
    assert.equal(dev.profile, PROFILES.dev);
    assert.equal(dev.domain, "dev.fixture.example.test");
    const staging = stackSettings("staging");
    assert.deepEqual(staging.databases, {
      mode: "rds",
      vpcId: "vpc-0ab0cd0ef0ab0cd01",
      subnetIds: ["subnet-0ab0cd0ef0ab0cd11", "subnet-0ab0cd0ef0ab0cd22", "subnet-0ab0cd0ef0ab0cd33"],
      clientSecurityGroupIds: ["sg-0ab0cd0ef0ab0cd01"],
      allowedCidrs: [],
    });
    assert.deepEqual(staging.aws, {
      accountId: "111122223333",
      region: "us-east-2",
      partition: "aws",
      identity: "pod-identity",
      clusterName: "fixture-staging",
    });
    assert.equal(stackSettings("prod").aws?.identity, "irsa");
    assert.equal(
      stackSettings("prod").aws?.oidcProviderArn?.startsWith("arn:aws:iam::444455556666:oidc-provider/"),
      true,
    );
  });

  it("are refused when the compositions could not serve them", () => {
    const base: CrossplaneArgs = stackArgs("prod", ingressRef("gateway"));
    const refuse = (change: Partial<CrossplaneArgs>, message: RegExp) =>
      assert.throws(() => validateCrossplaneArgs({ ...base, ...change }), message);
    refuse(
      { databases: { mode: "in-cluster" } },
      /Crossplane: the prod profile keeps databases \(dataDeletionPolicy Orphan\); in-cluster databases cannot, use rds/,
    );
    const { aws: _aws, ...withoutAws } = base;
    assert.throws(
      () => validateCrossplaneArgs(withoutAws),
      /Crossplane: RDS databases need an AwsContext \(args.aws\)/,
    );
    const rds = base.databases as Extract<CrossplaneArgs["databases"], { mode: "rds" }>;
    refuse(
      { databases: { ...rds, subnetIds: ["subnet-0a"] } },
      /Crossplane: RDS databases need at least two subnets/,
    );
    refuse(
      { databases: { ...rds, clientSecurityGroupIds: [], allowedCidrs: [] } },
      /Crossplane: RDS databases need a client security group or an allowed CIDR/,
    );
    refuse(
      { databaseSecrets: { kind: "aws-secrets-manager", ready: [], prefix: "" } },
      /Crossplane: the AWS secrets backend needs its key prefix/,
    );
    refuse(
      { clusterName: "c".repeat(50) },
      /Crossplane: IAM role name c{50}-crossplane-aws-rds is longer than 64 characters/,
    );
    assert.doesNotThrow(() => validateCrossplaneArgs(base));
    assert.doesNotThrow(() => validateCrossplaneArgs(stackArgs("dev", ingressRef("nginx"))));
  });
});
