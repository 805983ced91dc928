/**
 * The Runners part (Actions Runner Controller) on its own, for every stack's config: both charts at
 * ARC_VERSION, scale sets ordered after the controller and their credentials, no privileged pod unless a
 * scale set opts in to dind (and then a warning), credentials only through an ExternalSecret, isolation,
 * protection per profile, and the upgrade gate that makes a version bump follow ARC's upgrade order.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type { SecretStoreRef, SecretsBackend } from "../components/contracts";
import {
  API_SERVER_PORTS,
  NON_PUBLIC_IPV4,
  RUNNERS_DEFAULTS,
  Runners,
  scaleSetProblems,
  type RunnerScaleSetArgs,
  type RunnersSettings,
} from "../components/runners";
import { AwsSecretsManagerBackend, KubernetesSecretsBackend } from "../components/secrets-backend";
import { ARC_VERSION, IMAGES } from "../components/versions";
import { runnersSettingsFrom } from "../stacks/args";
import { parseConfig, type RawStackConfig } from "../stacks/config";
import { PROFILES } from "../stacks/profiles";
import { crdValidator } from "./crd-schema";
import { editedConfig, setSecret, synthProgram, type StackConfigObject, type Synth } from "./harness";
import type { ResourceRecord } from "../synth/records";

const PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nrunners-marker-5e0c9a\n-----END RSA PRIVATE KEY-----";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret";
/** The fixture stacks with runners (tests/fixtures/): dev, and prod without its docker-in-docker scale set. */
const STACKS = ["dev", "prod"] as const;

class Marker extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:Marker", name, {});
  }
}

/** A stack's config with the runners' private key set to the marker, optionally edited further. */
function stackConfig(stack: string, edit?: (config: StackConfigObject) => void): RawStackConfig {
  return editedConfig(stack, (config) => {
    setSecret(config, "runnersGithubAppPrivateKey", PRIVATE_KEY);
    edit?.(config);
  });
}

function runnersConfig(config: StackConfigObject): { scaleSets: Array<Record<string, unknown>> } {
  return config.values["idp:runners"] as { scaleSets: Array<Record<string, unknown>> };
}

/** The fixture prod's docker-in-docker scale set. */
const DIND_SCALE_SET = "fixture-prod-docker";

/** Removes the docker-in-docker scale sets, leaving kubernetes mode only. */
const withoutDind = (config: StackConfigObject) => {
  const runners = runnersConfig(config);
  runners.scaleSets = runners.scaleSets.filter((set) => set["containerMode"] !== "dind");
};

/** Runs Runners alone with the stack's config and an in-cluster (or AWS) backend on a test store. */
async function synthRunners(
  stack: string,
  options: {
    edit?: (config: StackConfigObject) => void;
    preview?: boolean;
    backend?: "kubernetes" | "aws";
  } = {},
): Promise<Synth> {
  const raw = stackConfig(stack, options.edit);
  return synthProgram(
    () => {
      const config = parseConfig(raw);
      const settings = runnersSettingsFrom(config);
      assert.ok(settings, `${stack} configures runners`);
      const store: SecretStoreRef = {
        kind: "ClusterSecretStore",
        name: "platform",
        ready: [new Marker("eso")],
      };
      const protection = {
        protect: config.profile.protectStateful,
        retainOnDelete: config.profile.retainStateful,
      };
      const secretsBackend: SecretsBackend =
        options.backend === "aws"
          ? new AwsSecretsManagerBackend({
              store,
              prefix: `idp/${stack}`,
              recoveryWindowInDays: 7,
              ...protection,
            })
          : new KubernetesSecretsBackend({ store, namespace: "idp-secrets", ...protection });
      new Runners("runners", { ...settings, secretsBackend });
    },
    { stack, config: raw, preview: options.preview ?? false },
  );
}

type Values = Record<string, unknown> & {
  template: { spec: Record<string, unknown> & { containers: Array<Record<string, unknown>> } };
};

function releaseInputs(synth: Synth, name: string): Record<string, unknown> & { values: Values } {
  return synth.inputs(synth.one(RELEASE, name));
}

/** Every path in a value where `privileged: true` is set. */
function privilegedPaths(value: unknown, path = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => privilegedPaths(item, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) =>
    key === "privileged" && item === true ? [`${path}.${key}`] : privilegedPaths(item, `${path}.${key}`),
  );
}

function labelsOf(synth: Synth, record: ResourceRecord): Record<string, string> {
  return (synth.inputs(record)["metadata"] as { labels: Record<string, string> }).labels;
}

describe("Runners (Actions Runner Controller)", () => {
  for (const stack of STACKS) {
    describe(`with the ${stack} stack's config`, () => {
      let synth: Synth;
      const profile = PROFILES[stack];
      const scaleSetName = `fixture-${stack}-linux`;
      before(async () => {
        synth = await synthRunners(stack, { edit: withoutDind });
      });

      it("installs both ARC charts at ARC_VERSION, the controller with the profile's replicas", () => {
        const controller = releaseInputs(synth, "runners-controller");
        assert.equal(
          controller["chart"],
          "oci://ghcr.io/actions/actions-runner-controller-charts/gha-runner-scale-set-controller",
        );
        assert.equal(controller["version"], ARC_VERSION);
        assert.equal(controller["name"], "arc");
        assert.equal(controller["namespace"], "arc-systems");
        assert.equal(controller.values["replicaCount"], profile.controllerReplicas);
        assert.deepEqual(controller.values["serviceAccount"], { create: true, name: "arc-controller" });
        const scaleSet = releaseInputs(synth, `runners-${scaleSetName}`);
        assert.equal(
          scaleSet["chart"],
          "oci://ghcr.io/actions/actions-runner-controller-charts/gha-runner-scale-set",
        );
        assert.equal(scaleSet["version"], ARC_VERSION);
        assert.equal(scaleSet["version"], controller["version"]);
        assert.equal(synth.ofType(RELEASE).length, 2);
      });

      it("configures the org-level scale set from config and the profile", () => {
        const { values, name, namespace } = releaseInputs(synth, `runners-${scaleSetName}`);
        assert.equal(name, scaleSetName);
        assert.equal(namespace, "arc-runners");
        // dev: the profile's bounds (config sets none); prod: the fixture's own.
        const expectedBounds = {
          dev: { minRunners: 0, maxRunners: 2 },
          prod: { minRunners: 1, maxRunners: 4 },
        }[stack];
        assert.deepEqual(
          {
            githubConfigUrl: values["githubConfigUrl"],
            runnerScaleSetName: values["runnerScaleSetName"],
            runnerGroup: values["runnerGroup"],
            scaleSetLabels: values["scaleSetLabels"],
            minRunners: values["minRunners"],
            maxRunners: values["maxRunners"],
            controllerServiceAccount: values["controllerServiceAccount"],
          },
          {
            githubConfigUrl: "https://github.com/fixture-org",
            runnerScaleSetName: scaleSetName,
            // The group of this environment's own, named after its cluster.
            runnerGroup: `fixture-${stack}`,
            scaleSetLabels: [{ dev: "fixture-dev-node", prod: "fixture-prod-large" }[stack]],
            ...expectedBounds,
            controllerServiceAccount: { namespace: "arc-systems", name: "arc-controller" },
          },
        );
        const runner = values.template.spec.containers[0]!;
        assert.equal(runner["image"], `ghcr.io/actions/actions-runner:${IMAGES.actionsRunner.tag}`);
        // The fixtures set no resources: the defaults.
        assert.deepEqual(runner["resources"], {
          requests: { cpu: "500m", memory: "1Gi" },
          limits: { memory: "4Gi" },
        });
      });

      it("runs jobs in kubernetes mode, their pods in the jobs namespace, with no privileged pod spec", () => {
        const { values } = releaseInputs(synth, `runners-${scaleSetName}`);
        // The hooks' volume-less mode: the job pod shares nothing with the runner pod and can run elsewhere.
        assert.deepEqual(values["containerMode"], { type: "kubernetes-novolume" });
        assert.equal(values.template.spec["serviceAccountName"], "arc-runner");
        const runnerContainer = values.template.spec.containers[0]!;
        assert.deepEqual(runnerContainer["env"], [
          { name: "ACTIONS_RUNNER_KUBERNETES_NAMESPACE", value: "arc-jobs" },
        ]);
        assert.deepEqual(runnerContainer["volumeMounts"], [
          { name: "work", mountPath: "/home/runner/_work" },
        ]);
        assert.deepEqual(values.template.spec["volumes"], [
          { name: "work", emptyDir: { sizeLimit: "10Gi" } },
        ]);
        for (const release of synth.ofType(RELEASE)) {
          assert.deepEqual(privilegedPaths(synth.inputs(release)["values"]), [], `${release.name} values`);
        }
        assert.deepEqual(values.template.spec["securityContext"], {
          runAsNonRoot: true,
          runAsUser: 1001,
          fsGroup: 123,
          fsGroupChangePolicy: "OnRootMismatch",
          seccompProfile: { type: "RuntimeDefault" },
        });
        assert.deepEqual(values.template.spec.containers[0]!["securityContext"], {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          runAsNonRoot: true,
          runAsUser: 1001,
        });
        assert.equal(values.template.spec["initContainers"], undefined);
        assert.equal(synth.result.warnings.length, 0, synth.result.warnings.join("\n"));
      });

      it("makes the controller and the listeners fit their restricted namespace", () => {
        const controller = releaseInputs(synth, "runners-controller").values;
        assert.deepEqual(controller["podSecurityContext"], {
          runAsNonRoot: true,
          seccompProfile: { type: "RuntimeDefault" },
        });
        assert.deepEqual(controller["securityContext"], {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          readOnlyRootFilesystem: true,
        });
        assert.deepEqual(controller["resources"], RUNNERS_DEFAULTS.controllerResources);
        const { values } = releaseInputs(synth, `runners-${scaleSetName}`);
        assert.deepEqual(values["listenerTemplate"], {
          spec: {
            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            terminationGracePeriodSeconds: 60,
            containers: [
              {
                name: "listener",
                resources: RUNNERS_DEFAULTS.listenerResources,
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
              },
            ],
          },
        });
      });

      it("isolates the controller and the runners in namespaces with Pod Security labels", () => {
        const namespaces = synth.ofType(NAMESPACE);
        assert.deepEqual(
          namespaces.map((ns) => (synth.inputs(ns)["metadata"] as { name: string }).name).sort(),
          ["arc-jobs", "arc-runners", "arc-systems"],
        );
        const jobsNs = labelsOf(synth, synth.one(NAMESPACE, "runners-arc-jobs-ns"));
        assert.equal(jobsNs["pod-security.kubernetes.io/enforce"], "baseline");
        assert.equal(jobsNs["pod-security.kubernetes.io/warn"], "restricted");
        const controllerNs = labelsOf(synth, synth.one(NAMESPACE, "runners-controller-ns"));
        for (const mode of ["enforce", "audit", "warn"]) {
          assert.equal(controllerNs[`pod-security.kubernetes.io/${mode}`], "restricted");
        }
        const runnersNs = labelsOf(synth, synth.one(NAMESPACE, "runners-arc-runners-ns"));
        assert.equal(runnersNs["pod-security.kubernetes.io/enforce"], "baseline");
        assert.equal(runnersNs["pod-security.kubernetes.io/audit"], "restricted");
        assert.equal(runnersNs["pod-security.kubernetes.io/warn"], "restricted");
        assert.equal(runnersNs["pod-security.kubernetes.io/enforce-version"], "v1.33");
      });

      it("puts a NetworkPolicy in every ARC namespace: no ingress, egress to DNS, API server, public HTTPS", () => {
        const policies = synth.ofType(NETWORK_POLICY);
        assert.deepEqual(policies.map((p) => p.name).sort(), [
          "runners-arc-jobs-netpol",
          "runners-arc-runners-netpol",
          "runners-controller-netpol",
        ]);
        const apiServerCidrs = { dev: ["172.18.0.2/32"], prod: ["10.40.0.0/24", "10.40.1.0/24"] }[stack];
        // Job pods run workflow code: DNS and public HTTPS only, never the API server.
        const jobs = synth.inputs(synth.one(NETWORK_POLICY, "runners-arc-jobs-netpol"))["spec"] as {
          egress: Array<{ ports: Array<{ port: number }> }>;
        };
        assert.deepEqual(
          jobs.egress.map((rule) => rule.ports.map((p) => p.port)),
          [[53, 53], [443]],
        );
        for (const policy of policies.filter((p) => p.name !== "runners-arc-jobs-netpol")) {
          const spec = synth.inputs(policy)["spec"] as {
            podSelector: object;
            policyTypes: string[];
            ingress: unknown[];
            egress: Array<{
              to: Array<Record<string, unknown>>;
              ports: Array<{ protocol: string; port: number }>;
            }>;
          };
          assert.deepEqual(spec.podSelector, {});
          assert.deepEqual(spec.policyTypes, ["Ingress", "Egress"]);
          assert.deepEqual(spec.ingress, []);
          assert.equal(spec.egress.length, 3);
          const [dns, apiServer, https] = spec.egress;
          assert.deepEqual(dns!.ports, [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ]);
          assert.deepEqual(dns!.to, [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ]);
          assert.deepEqual(
            apiServer!.to,
            apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } })),
          );
          assert.deepEqual(
            apiServer!.ports,
            API_SERVER_PORTS.map((port) => ({ protocol: "TCP", port })),
          );
          assert.deepEqual(https!.ports, [{ protocol: "TCP", port: 443 }]);
          assert.deepEqual(https!.to[0], { ipBlock: { cidr: "0.0.0.0/0", except: [...NON_PUBLIC_IPV4] } });
          assert.ok(NON_PUBLIC_IPV4.includes("169.254.0.0/16"), "cloud metadata is never reachable");
        }
      });

      it("keeps the App key out of reach of everything that runs a job: runners may act only in the jobs namespace", () => {
        const account = synth.inputs<{ metadata: { name: string; namespace: string } }>(
          synth.one("kubernetes:core/v1:ServiceAccount", "runners-runner-account"),
        );
        assert.deepEqual([account.metadata.name, account.metadata.namespace], ["arc-runner", "arc-runners"]);
        const role = synth.inputs<{ metadata: { namespace: string }; rules: unknown }>(
          synth.one("kubernetes:rbac.authorization.k8s.io/v1:Role", "runners-job-hooks-role"),
        );
        assert.equal(role.metadata.namespace, "arc-jobs");
        // Exactly what runner-container-hooks v0.8.1 checks before every command (requiredPermissions).
        assert.deepEqual(role.rules, [
          { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "create", "delete"] },
          { apiGroups: [""], resources: ["pods/exec"], verbs: ["get", "create"] },
          { apiGroups: [""], resources: ["pods/log"], verbs: ["get", "list", "watch"] },
          { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "create", "delete"] },
        ]);
        const binding = synth.inputs<{ metadata: { namespace: string }; subjects: unknown }>(
          synth.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "runners-job-hooks-binding"),
        );
        assert.equal(binding.metadata.namespace, "arc-jobs");
        assert.deepEqual(binding.subjects, [
          { kind: "ServiceAccount", name: "arc-runner", namespace: "arc-runners" },
        ]);
        // No Role or binding anywhere else grants runners anything: the App key's namespace has none.
        const grants = [
          ...synth.ofType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"),
          ...synth.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"),
        ].filter((r) => JSON.stringify(synth.inputs(r)["subjects"] ?? []).includes('"arc-runner"'));
        assert.deepEqual(
          grants.map((r) => r.name),
          ["runners-job-hooks-binding"],
        );
        // The chart creates no kubernetes-mode Role when the template names a service account.
        const { values } = releaseInputs(synth, `runners-${scaleSetName}`);
        assert.equal(values.template.spec["serviceAccountName"], "arc-runner");
        // Job pods get no service account token.
        const defaultAccount = synth.inputs(
          synth.one("kubernetes:core/v1:ServiceAccountPatch", "runners-arc-jobs-default-account"),
        );
        assert.deepEqual(defaultAccount, {
          apiVersion: "v1",
          kind: "ServiceAccount",
          metadata: { name: "default", namespace: "arc-jobs" },
          automountServiceAccountToken: false,
        });
        // The App key's Secret is made only in the runners' namespace, never in the jobs namespace.
        const githubSecrets = synth
          .kind("ExternalSecret")
          .map((r) => synth.inputs<{ metadata: { namespace: string } }>(r).metadata.namespace);
        assert.ok(!githubSecrets.includes("arc-jobs"));
      });

      it("delivers the GitHub App only through the secrets backend and an ExternalSecret", () => {
        assert.deepEqual(synth.plaintextLeaks("runners-marker-5e0c9a"), []);
        for (const release of synth.ofType(RELEASE)) {
          const values = JSON.stringify(synth.inputs(release)["values"]);
          assert.ok(!values.includes("runners-marker-5e0c9a"), `${release.name} values hold no key`);
          assert.ok(
            !/github_app|github_token|private_key/.test(values),
            `${release.name} values hold no credentials`,
          );
        }
        const { values } = releaseInputs(synth, `runners-${scaleSetName}`);
        assert.equal(values["githubConfigSecret"], "arc-github-app", "the values only name the Secret");

        const stored = synth.one("kubernetes:core/v1:Secret", "runners-github-app");
        assert.deepEqual(synth.secretInputs(stored), ["stringData"]);
        assert.deepEqual(synth.inputs(stored)["stringData"], {
          appId: "3456789",
          installationId: "11111111",
          privateKey: PRIVATE_KEY,
        });
        assert.deepEqual(
          [stored.options.protect, stored.options.retainOnDelete],
          [profile.protectStateful, profile.retainStateful],
        );
        const es = synth.one(EXTERNAL_SECRET, "runners-arc-runners-github-app");
        const object = synth.inputs<{
          metadata: Record<string, unknown>;
          spec: Record<string, unknown>;
        }>(es);
        assert.equal(object.metadata["name"], "arc-github-app");
        assert.equal(object.metadata["namespace"], "arc-runners");
        assert.deepEqual(object.metadata["annotations"], { "pulumi.com/waitFor": "condition=Ready" });
        assert.deepEqual(object.spec["data"], [
          { secretKey: "github_app_id", remoteRef: { key: "arc-github-app", property: "appId" } },
          {
            secretKey: "github_app_installation_id",
            remoteRef: { key: "arc-github-app", property: "installationId" },
          },
          {
            secretKey: "github_app_private_key",
            remoteRef: { key: "arc-github-app", property: "privateKey" },
          },
        ]);
        assert.equal((object.spec["target"] as { name: string }).name, "arc-github-app");
        assert.ok(synth.dependsOn(es, stored));
        const validator = crdValidator();
        if (validator) assert.deepEqual(validator.validate(object), []);
      });

      it("makes every scale set wait for the controller, its secret and the store, so destroy removes it first", () => {
        const scaleSet = synth.one(RELEASE, `runners-${scaleSetName}`);
        const controller = synth.one(RELEASE, "runners-controller");
        const es = synth.one(EXTERNAL_SECRET, "runners-arc-runners-github-app");
        const eso = synth.one("test:index:Marker", "eso");
        for (const dependency of [
          controller,
          es,
          eso,
          synth.one(NETWORK_POLICY, "runners-arc-runners-netpol"),
        ]) {
          // Direct dependencies: Pulumi deletes a resource before anything it depends on.
          assert.ok(
            scaleSet.dependencies.includes(dependency.urn),
            `${scaleSet.name} depends on ${dependency.name}`,
          );
        }
        assert.ok(synth.dependsOn(scaleSet, synth.one("kubernetes:core/v1:Secret", "runners-github-app")));
        assert.ok(!synth.dependsOn(controller, scaleSet), "the controller never waits for a scale set");
      });

      it("protects the CRD-bearing controller and every runners namespace as the profile says, never the scale sets", () => {
        const expected = [profile.protectStateful, profile.retainStateful];
        for (const record of [
          synth.one(RELEASE, "runners-controller"),
          ...synth.ofType(NAMESPACE).filter((ns) => ns.name.startsWith("runners-")),
        ]) {
          assert.deepEqual([record.options.protect, record.options.retainOnDelete], expected, record.name);
        }
        const scaleSet = synth.one(RELEASE, `runners-${scaleSetName}`);
        assert.deepEqual([scaleSet.options.protect, scaleSet.options.retainOnDelete], [false, false]);
      });

      it("follows ARC's upgrade order through the upgrade gate", () => {
        const gate = synth.one("kubernetes:core/v1:ConfigMap", "runners-upgrade-gate");
        assert.deepEqual(synth.inputs(gate)["data"], { arcVersion: ARC_VERSION });
        assert.deepEqual(gate.options.replaceOnChanges, ["data"]);
        assert.equal(gate.options.deleteBeforeReplace, true);
        const controller = synth.one(RELEASE, "runners-controller");
        assert.ok(
          controller.explicitDependencies.includes(gate.urn),
          "the controller is upgraded after the gate",
        );
        assert.equal(controller.options.deleteBeforeReplace, false, "the controller is upgraded in place");
        const scaleSet = synth.one(RELEASE, `runners-${scaleSetName}`);
        assert.ok(
          scaleSet.propertyDependencies["namespace"]?.includes(gate.urn),
          "the scale set's namespace comes through the gate, so replacing the gate deletes the scale set first",
        );
        assert.equal(scaleSet.options.deleteBeforeReplace, true);
        assert.deepEqual(scaleSet.options.replaceOnChanges, ["version"]);
      });

      it("names every Kubernetes object and every child after the component", () => {
        const component = synth.one("idp:runners:Runners", "runners");
        for (const child of synth.descendants(component)) {
          assert.ok(child.name.startsWith("runners"), child.name);
          if (child.type.startsWith("kubernetes:") && child.type !== RELEASE) {
            assert.equal(
              typeof (synth.inputs(child)["metadata"] as { name?: unknown }).name,
              "string",
              child.name,
            );
          }
        }
        assert.deepEqual(component.componentOutputs, {
          controllerNamespace: "arc-systems",
          runnerNamespaces: { kubernetes: "arc-runners" },
          scaleSetNames: [scaleSetName],
          runsOn: { [scaleSetName]: { group: `fixture-${stack}`, labels: [scaleSetName] } },
        });
      });

      it("creates the environment's own runner group, closed to public repositories, before the scale set", () => {
        const groups = synth.ofType("github:index/actionsRunnerGroup:ActionsRunnerGroup");
        assert.deepEqual(
          groups.map((g) => [g.name, synth.inputs(g)]),
          [
            [
              `runners-group-fixture-${stack}`,
              { name: `fixture-${stack}`, visibility: "all", allowsPublicRepositories: false },
            ],
          ],
        );
        const scaleSet = synth.byName(`runners-${scaleSetName}`);
        assert.ok(synth.dependsOn(scaleSet, groups[0]!), "ARC registers the scale set in an existing group");
      });

      it("renders an AutoscalingRunnerSet that ARC's CRD accepts", function () {
        const validator = crdValidator();
        if (!validator) return this.skip(); // ../shared/crds absent: upstream CRDs are not on file
        const { values } = releaseInputs(synth, `runners-${scaleSetName}`);
        assert.deepEqual(validator.validate(autoscalingRunnerSet(values)), []);
      });
    });
  }

  describe("docker-in-docker opt-in", () => {
    let synth: Synth;
    before(async () => {
      synth = await synthRunners("prod", { preview: true });
    });

    it("gives only the opted-in scale set a privileged Docker daemon, from the pinned image", () => {
      const { values, namespace } = releaseInputs(synth, `runners-${DIND_SCALE_SET}`);
      assert.equal(namespace, "arc-runners-dind");
      assert.equal(values["containerMode"], undefined, "spelled out, not the chart's unpinned dind mode");
      assert.deepEqual(privilegedPaths(values), [
        ".template.spec.initContainers[1].securityContext.privileged",
      ]);
      const dind = (values.template.spec["initContainers"] as Array<Record<string, unknown>>)[1]!;
      assert.equal(dind["name"], "dind");
      assert.equal(dind["image"], `docker.io/library/docker:${IMAGES.dockerDind.tag}`);
      assert.equal(dind["restartPolicy"], "Always");
      assert.deepEqual(values.template.spec["automountServiceAccountToken"], false);
      const runner = values.template.spec.containers[0]!;
      assert.deepEqual(runner["env"], [
        { name: "DOCKER_HOST", value: "unix:///var/run/docker.sock" },
        { name: "RUNNER_WAIT_FOR_DOCKER_IN_SECONDS", value: "120" },
      ]);
      assert.deepEqual(privilegedPaths(releaseInputs(synth, "runners-fixture-prod-linux").values), []);
    });

    it("warns at preview time, naming the scale set", () => {
      assert.equal(synth.result.warnings.length, 1);
      assert.match(
        synth.result.warnings[0]!,
        new RegExp(`^runner scale set "${DIND_SCALE_SET}" opts in to docker-in-docker: `),
      );
      assert.match(synth.result.warnings[0]!, /namespace arc-runners-dind/);
    });

    it("moves it into its own privileged namespace, with its own policy and secret", () => {
      const dindNs = labelsOf(synth, synth.one(NAMESPACE, "runners-arc-runners-dind-ns"));
      assert.equal(dindNs["pod-security.kubernetes.io/enforce"], "privileged");
      const runnersNs = labelsOf(synth, synth.one(NAMESPACE, "runners-arc-runners-ns"));
      assert.equal(
        runnersNs["pod-security.kubernetes.io/enforce"],
        "baseline",
        "kubernetes mode stays unprivileged",
      );
      synth.one(NETWORK_POLICY, "runners-arc-runners-dind-netpol");
      const es = synth.one(EXTERNAL_SECRET, "runners-arc-runners-dind-github-app");
      const scaleSet = synth.one(RELEASE, `runners-${DIND_SCALE_SET}`);
      assert.ok(scaleSet.dependencies.includes(es.urn));
      assert.ok(
        !scaleSet.dependencies.includes(synth.one(EXTERNAL_SECRET, "runners-arc-runners-github-app").urn),
      );
      assert.deepEqual(synth.plaintextLeaks("runners-marker-5e0c9a"), []);
    });

    it("renders a dind AutoscalingRunnerSet that ARC's CRD accepts", function () {
      const validator = crdValidator();
      if (!validator) return this.skip(); // ../shared/crds absent: upstream CRDs are not on file
      assert.deepEqual(
        validator.validate(autoscalingRunnerSet(releaseInputs(synth, `runners-${DIND_SCALE_SET}`).values)),
        [],
      );
    });
  });

  it("also works with AWS Secrets Manager as the backend", async () => {
    const synth = await synthRunners("prod", { backend: "aws", edit: withoutDind });
    const secret = synth.one("aws:secretsmanager/secret:Secret", "runners-github-app");
    assert.equal(synth.inputs(secret)["name"], "idp/prod/arc/github-app");
    const es = synth.inputs<{ spec: { data: Array<{ remoteRef: { key: string } }> } }>(
      synth.one(EXTERNAL_SECRET, "runners-arc-runners-github-app"),
    );
    assert.ok(es.spec.data.every((item) => item.remoteRef.key === "idp/prod/arc/github-app"));
    assert.deepEqual(synth.plaintextLeaks("runners-marker-5e0c9a"), []);
  });

  for (const stack of STACKS) {
    it(`synthesizes ${stack} in preview mode`, async () => {
      const synth = await synthRunners(stack, { preview: true });
      // The controller and one release per scale set.
      assert.equal(synth.ofType(RELEASE).length, { dev: 2, prod: 3 }[stack]);
      assert.deepEqual(synth.plaintextLeaks("runners-marker-5e0c9a"), []);
    });
  }

  it("throws, naming the problem, when its arguments break an invariant", async () => {
    const program = (edit: (settings: RunnersSettings) => RunnersSettings) => () => {
      const settings = runnersSettingsFrom(parseConfig(stackConfig("dev")))!;
      const store: SecretStoreRef = { kind: "ClusterSecretStore", name: "platform", ready: [] };
      const secretsBackend = new KubernetesSecretsBackend({
        store,
        namespace: "idp-secrets",
        protect: false,
        retainOnDelete: false,
      });
      new Runners("runners", { ...edit(settings), secretsBackend });
    };
    await assert.rejects(
      synthProgram(program((s) => ({ ...s, apiServerCidrs: [] }))),
      /^Error: Runners runners: apiServerCidrs is empty; the NetworkPolicies would cut off the API server$/,
    );
    await assert.rejects(
      synthProgram(program((s) => ({ ...s, scaleSets: s.scaleSets.map((x) => ({ ...x, maxRunners: 3 })) }))),
      /^Error: Runners runners: scale set "fixture-dev-linux": maxRunners 3 exceeds the dev profile's bound of 2$/,
    );
  });

  it("refuses scale sets that break ARC's or the profile's limits", () => {
    const base: RunnerScaleSetArgs = {
      name: "linux",
      runnerGroup: "idp-dev",
      labels: [],
      minRunners: 0,
      maxRunners: 2,
      resources: {},
      containerMode: "kubernetes",
      workVolumeSize: "10Gi",
    };
    assert.deepEqual(scaleSetProblems([base], PROFILES.dev), []);
    assert.deepEqual(
      scaleSetProblems(
        [
          base,
          base,
          { ...base, name: "x".repeat(46), minRunners: 3, maxRunners: 3 },
          { ...base, name: "Bad_Name" },
        ],
        PROFILES.dev,
      ),
      [
        'scale set "linux" is defined twice',
        `scale set "${"x".repeat(46)}": the name is longer than 45 characters`,
        `scale set "${"x".repeat(46)}": maxRunners 3 exceeds the dev profile's bound of 2`,
        'scale set "Bad_Name": the name must be a lowercase DNS label',
      ],
    );
    assert.deepEqual(scaleSetProblems([{ ...base, minRunners: 2, maxRunners: 1 }], PROFILES.dev), [
      'scale set "linux": minRunners 2 exceeds maxRunners 1',
    ]);
    assert.deepEqual(scaleSetProblems([], PROFILES.prod), ["at least one scale set is required"]);
    // Routing: GitHub's shared group and labels every environment's runners could carry are refused.
    assert.deepEqual(
      scaleSetProblems(
        [
          {
            ...base,
            runnerGroup: "Default",
            labels: ["idp-dev-gpu", "self-hosted", "Linux", "ubuntu-24.04"],
          },
        ],
        PROFILES.dev,
      ),
      [
        `scale set "linux": runnerGroup "Default" is GitHub's Default group, which every environment's runners would share; leave runnerGroup out (the stack creates a group named after its cluster) or name a group of this environment`,
        ...["self-hosted", "Linux", "ubuntu-24.04"].map(
          (label) =>
            `scale set "linux": label "${label}" is a label every environment's runners could carry, so GitHub may send another environment's job to these runners; use labels that name this environment, or none: workflows select a scale set by its group and name`,
        ),
      ],
    );
    assert.equal(RUNNERS_DEFAULTS.maxNameLength, 45);
  });
});

/**
 * The AutoscalingRunnerSet the scale set chart renders from these values (its template adds the
 * kubernetes-mode hook environment, work volume and service account), to check field names against
 * ARC's CRD.
 */
function autoscalingRunnerSet(values: Values): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    ...values.template.spec,
    restartPolicy: "Never",
    serviceAccountName: "runner",
  };
  const containerMode = values["containerMode"] as
    { type: string; kubernetesModeWorkVolumeClaim: Record<string, unknown> } | undefined;
  if (containerMode?.type === "kubernetes") {
    spec.containers = values.template.spec.containers.map((container) => ({
      ...container,
      env: [
        { name: "ACTIONS_RUNNER_CONTAINER_HOOKS", value: "/home/runner/k8s/index.js" },
        { name: "ACTIONS_RUNNER_POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "ACTIONS_RUNNER_REQUIRE_JOB_CONTAINER", value: "true" },
      ],
      volumeMounts: [{ name: "work", mountPath: "/home/runner/_work" }],
    }));
    spec["volumes"] = [
      {
        name: "work",
        ephemeral: { volumeClaimTemplate: { spec: containerMode.kubernetesModeWorkVolumeClaim } },
      },
    ];
  }
  return {
    apiVersion: "actions.github.com/v1alpha1",
    kind: "AutoscalingRunnerSet",
    metadata: { name: values["runnerScaleSetName"], namespace: "arc-runners" },
    spec: {
      githubConfigUrl: values["githubConfigUrl"],
      githubConfigSecret: values["githubConfigSecret"],
      runnerGroup: values["runnerGroup"],
      runnerScaleSetName: values["runnerScaleSetName"],
      ...(values["scaleSetLabels"] !== undefined ? { runnerScaleSetLabels: values["scaleSetLabels"] } : {}),
      maxRunners: values["maxRunners"],
      minRunners: values["minRunners"],
      listenerTemplate: values["listenerTemplate"],
      template: { spec },
    },
  };
}
