/**
 * `SchemaHero`: turns SchemaHero `Table`s in Git into migrations of the databases `SQLDatabase` composes.
 *
 * The CRDs come from SchemaHero's Helm chart (pinned, OCI, mirrorable) through a release that installs
 * only them: Helm installs a chart's `crds/` itself, and a post-renderer that prints nothing drops every
 * templated object, the chart's manager included. A Helm release previews without a cluster, unlike
 * manifests applied by the provider. Pulumi renders the manager itself, as `kubectl schemahero install`
 * does for v0.25.0, with what the chart cannot express (docs/parts/gitops.md explains the choice):
 *
 * - the manager image pinned (`--manager-image`/`--manager-tag` too, so the per-database controllers
 *   SchemaHero starts run the same image), and the driver plugin registry when it is mirrored;
 * - its own service account, a ClusterRole without what v0.25.0 never uses (pods, deployments, webhook
 *   configurations, writes to Secrets), and a pod that meets the `restricted` Pod Security level;
 * - CRDs kept when Pulumi deletes them (deleting a CRD deletes every Table), protected per profile;
 * - an admission policy that holds the manager's cluster-wide writes to what v0.25.0 does for a
 *   Database in a team namespace (`writePolicyValidations`): RBAC cannot limit by namespace label or name.
 *
 * The `Database` objects are composed per SQLDatabase by Crossplane (components/crossplane/sql-database.ts),
 * with `immediateDeploy` from the profile; the Tables come from the management repository.
 */
import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import type { EnvironmentProfile } from "./profile";
import type { Readiness } from "./contracts";
import { TEAM_NAMESPACE_LABEL } from "./conventions";
import { helmRelease, namespace, statefulProtection, PLATFORM_LABELS } from "./kube";
import {
  CHARTS,
  IMAGES,
  imageReference,
  mirroredImage,
  schemaHeroPluginSource,
  type Mirror,
} from "./versions";

export const SCHEMAHERO_NAMES = {
  namespace: "schemahero",
  serviceAccount: "schemahero",
  clusterRole: "schemahero",
  manager: "schemahero",
} as const;

/** The Helm release that installs SchemaHero's CRDs (and nothing else). */
export const SCHEMAHERO_CRDS_RELEASE = "schemahero-crds";

export interface SchemaHeroArgs {
  /** The stack's mirror: charts and images come from it (components/versions.ts). Default none: upstream. */
  readonly mirror?: Mirror;
  /** Protection of the CRDs per profile. */
  readonly profile: EnvironmentProfile;
  /**
   * OCI repository prefix of mirrored driver plugins (`<prefix>-<driver>:<tag>-<arch>`). Default: SchemaHero's
   * own, `docker.io/schemahero/plugin-<driver>:0`.
   */
  readonly pluginRegistry?: string;
  /** Tag prefix of the mirrored plugins; only with `pluginRegistry`. Default `0`. */
  readonly pluginTag?: string;
}

export const SCHEMAHERO_DEFAULTS = {
  resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "256Mi" } },
  /** The image's user (`schemahero-manager`, uid 1001): numeric, so `runAsNonRoot` can be verified. */
  uid: 1001,
} as const;

/** Misuse of the component (config validation reports it earlier, with the key to fix). */
export function schemaHeroArgsProblems(args: SchemaHeroArgs): string[] {
  return args.pluginTag !== undefined && args.pluginRegistry === undefined
    ? ["pluginTag needs pluginRegistry"]
    : [];
}

/** The manager's command line: the database controller, its image for the per-database controllers, plugins. */
export function managerCommand(args: SchemaHeroArgs): string[] {
  const pin = IMAGES.schemaHeroManager;
  // An explicit plugin registry wins; else the mirror's copy of the pinned plugins (versions.ts).
  const mirrored = schemaHeroPluginSource(args.mirror);
  const plugins =
    args.pluginRegistry !== undefined
      ? { registry: args.pluginRegistry, tag: args.pluginTag ?? "0" }
      : mirrored;
  return [
    "/manager",
    "run",
    "--enable-database-controller",
    "--manager-image",
    mirroredImage(pin.image, args.mirror),
    "--manager-tag",
    pin.tag,
    ...(plugins !== undefined ? ["--plugin-registry", plugins.registry, "--plugin-tag", plugins.tag] : []),
  ];
}

const WRITE = ["get", "list", "watch", "create", "update", "patch", "delete"];
const STATUS = ["get", "update", "patch"];

/**
 * What the manager does in v0.25.0: reconcile Databases into a StatefulSet, service account, Role and
 * RoleBinding in the Database's namespace, and grant that Role (so it must hold every permission the
 * Role names: Secrets and service accounts `get`, StatefulSets read, SchemaHero's kinds).
 */
export function managerRules(): Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> {
  const schemaKinds = ["migrations", "tables", "views", "functions", "databaseextensions", "datatypes"];
  return [
    { apiGroups: ["apps"], resources: ["statefulsets"], verbs: WRITE },
    { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
    { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["get", "list", "watch", "create", "update"] },
    {
      apiGroups: ["rbac.authorization.k8s.io"],
      resources: ["roles", "rolebindings"],
      verbs: ["get", "list", "watch", "create", "update"],
    },
    { apiGroups: ["databases.schemahero.io"], resources: ["databases"], verbs: WRITE },
    { apiGroups: ["databases.schemahero.io"], resources: ["databases/status"], verbs: STATUS },
    { apiGroups: ["schemas.schemahero.io"], resources: schemaKinds, verbs: WRITE },
    {
      apiGroups: ["schemas.schemahero.io"],
      resources: schemaKinds.map((kind) => `${kind}/status`),
      verbs: STATUS,
    },
  ];
}

/**
 * What the manager's writes must look like, as the API server checks them (ValidatingAdmissionPolicy,
 * CEL). From the per-database reconcile of v0.25.0 (pkg/controller/database/database_controller.go and
 * rbac.go): for Database `<db>` it writes, in the Database's namespace, StatefulSet `<db>-controller`
 * running the manager image as service account `schemahero-<db>`, and that service account, a Role and a
 * RoleBinding named `schemahero-<db>` whose Role reads Secrets, service accounts and StatefulSets. So a
 * Database in a team namespace works; a stolen manager token, or a Database that names another image
 * (`spec.schemahero.image`) or namespace, cannot start another pod, bind another subject or grant more.
 */
export function writePolicyValidations(managerImage: string): Array<{ expression: string; message: string }> {
  const subject = "(request.operation == 'DELETE' ? oldObject : object)";
  return [
    {
      expression: `has(namespaceObject.metadata.labels) && '${TEAM_NAMESPACE_LABEL}' in namespaceObject.metadata.labels`,
      message: `SchemaHero writes only in team namespaces (label ${TEAM_NAMESPACE_LABEL})`,
    },
    {
      expression:
        request("statefulsets") +
        ` || (${subject}.metadata.name.endsWith('-controller') && (request.operation == 'DELETE' || (` +
        "object.spec.template.spec.serviceAccountName + '-controller' == 'schemahero-' + object.metadata.name" +
        ` && object.spec.template.spec.containers.all(c, c.image == '${managerImage}')` +
        " && !has(object.spec.template.spec.initContainers)" +
        " && !has(object.spec.template.spec.ephemeralContainers))))",
      message: `a StatefulSet of SchemaHero is <database>-controller, runs ${managerImage} only, as service account schemahero-<database>`,
    },
    {
      expression: `!(request.resource.resource in ['serviceaccounts', 'roles', 'rolebindings']) || ${subject}.metadata.name.startsWith('schemahero-')`,
      message: "service accounts, Roles and RoleBindings of SchemaHero are named schemahero-<database>",
    },
    {
      expression:
        request("rolebindings") +
        " || request.operation == 'DELETE' || (object.roleRef.kind == 'Role' && object.roleRef.name == object.metadata.name" +
        " && has(object.subjects) && object.subjects.all(s, s.kind == 'ServiceAccount' && s.name == object.metadata.name" +
        " && has(s.namespace) && s.namespace == object.metadata.namespace))",
      message: "a RoleBinding of SchemaHero binds its own Role to its own service account only",
    },
    {
      expression:
        request("roles") +
        " || request.operation == 'DELETE' || (has(object.rules) && object.rules.all(r," +
        " (!has(r.resources) || !r.resources.exists(x, x in ['secrets', 'serviceaccounts']) || r.verbs.all(v, v == 'get'))" +
        " && (!has(r.resources) || !r.resources.exists(x, x == 'statefulsets') || r.verbs.all(v, v in ['get', 'list', 'watch']))" +
        " && (!has(r.resources) || !r.resources.exists(x, x in ['roles', 'rolebindings', 'pods', 'deployments']))))",
      message:
        "a Role of SchemaHero reads Secrets, service accounts and StatefulSets, and grants no RBAC or workloads",
    },
  ];
}

/** `true` unless the request is for `resource` (the rest of the expression then applies). */
function request(resource: string): string {
  return `request.resource.resource != '${resource}'`;
}

export class SchemaHero extends pulumi.ComponentResource {
  /** SchemaHero serves its CRDs and its manager runs: SchemaHero objects (and what composes them) wait for it. */
  public readonly ready: Readiness;
  public readonly crds: kubernetes.helm.v3.Release;
  public readonly manager: kubernetes.apps.v1.StatefulSet;

  constructor(name: string, args: SchemaHeroArgs, opts?: pulumi.ComponentResourceOptions) {
    super("idp:schemahero:SchemaHero", name, {}, opts);
    const problems = schemaHeroArgsProblems(args);
    if (problems.length > 0) throw new Error(`SchemaHero ${name}: ${problems.join("; ")}`);
    const names = SCHEMAHERO_NAMES;
    const labels = { ...PLATFORM_LABELS, "app.kubernetes.io/name": "schemahero" };
    // The manager and, through --manager-image, every per-database controller; the write policy checks it.
    const managerImage = mirroredImage(imageReference(IMAGES.schemaHeroManager), args.mirror);

    // Protected like every platform namespace: deleting it deletes the manager, and every Table in Git
    // would stop being applied without a word in Pulumi's plan.
    const ns = namespace(
      `${name}-namespace`,
      { name: names.namespace, podSecurity: "restricted" },
      { parent: this, ...statefulProtection(args.profile) },
    );
    this.crds = helmRelease(
      `${name}-crds`,
      {
        pin: CHARTS.schemaHero,
        mirror: args.mirror,
        releaseName: SCHEMAHERO_CRDS_RELEASE,
        namespace: ns.metadata.name,
        values: {},
        postrender: "true",
      },
      // Kept when Pulumi deletes the release (deleting a CRD would delete every Table, Database and
      // Migration), protected as the profile says. Helm never upgrades `crds/`: docs/runbooks/upgrade.md.
      { parent: this, protect: args.profile.protectStateful, retainOnDelete: true },
    );
    const account = new kubernetes.core.v1.ServiceAccount(
      `${name}-service-account`,
      { metadata: { name: names.serviceAccount, namespace: ns.metadata.name, labels } },
      { parent: this },
    );
    const role = new kubernetes.rbac.v1.ClusterRole(
      `${name}-cluster-role`,
      { metadata: { name: names.clusterRole, labels }, rules: managerRules() },
      { parent: this },
    );
    const binding = new kubernetes.rbac.v1.ClusterRoleBinding(
      `${name}-cluster-role-binding`,
      {
        metadata: { name: names.clusterRole, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: ns.metadata.name }],
      },
      { parent: this },
    );
    const policyName = "schemahero-writes-team-databases-only";
    const policy = new kubernetes.admissionregistration.v1.ValidatingAdmissionPolicy(
      `${name}-write-policy`,
      {
        metadata: { name: policyName, labels },
        spec: {
          failurePolicy: "Fail",
          matchConstraints: {
            resourceRules: [
              {
                apiGroups: ["apps"],
                apiVersions: ["v1"],
                operations: ["CREATE", "UPDATE", "DELETE"],
                resources: ["statefulsets"],
              },
              {
                apiGroups: [""],
                apiVersions: ["v1"],
                operations: ["CREATE", "UPDATE", "DELETE"],
                resources: ["serviceaccounts"],
              },
              {
                apiGroups: ["rbac.authorization.k8s.io"],
                apiVersions: ["v1"],
                operations: ["CREATE", "UPDATE", "DELETE"],
                resources: ["roles", "rolebindings"],
              },
            ],
          },
          matchConditions: [
            {
              name: "schemahero-manager",
              expression: `request.userInfo.username == "system:serviceaccount:${names.namespace}:${names.serviceAccount}"`,
            },
          ],
          validations: writePolicyValidations(managerImage),
        },
      },
      { parent: this },
    );
    const policyBinding = new kubernetes.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
      `${name}-write-policy-binding`,
      {
        metadata: { name: policyName, labels },
        spec: { policyName, validationActions: ["Deny"] },
      },
      { parent: this, dependsOn: [policy] },
    );
    const selector = { "control-plane": "schemahero", "app.kubernetes.io/name": "schemahero" };
    this.manager = new kubernetes.apps.v1.StatefulSet(
      `${name}-manager`,
      {
        metadata: { name: names.manager, namespace: ns.metadata.name, labels },
        spec: {
          replicas: 1,
          serviceName: "",
          selector: { matchLabels: selector },
          template: {
            metadata: { labels: { ...labels, ...selector } },
            spec: {
              serviceAccountName: account.metadata.name,
              terminationGracePeriodSeconds: 10,
              securityContext: {
                runAsNonRoot: true,
                runAsUser: SCHEMAHERO_DEFAULTS.uid,
                runAsGroup: SCHEMAHERO_DEFAULTS.uid,
                seccompProfile: { type: "RuntimeDefault" },
              },
              nodeSelector: { "kubernetes.io/os": "linux" },
              containers: [
                {
                  name: "manager",
                  image: managerImage,
                  imagePullPolicy: "IfNotPresent",
                  command: managerCommand(args),
                  env: [
                    { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                  ],
                  resources: SCHEMAHERO_DEFAULTS.resources,
                  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                },
              ],
            },
          },
        },
      },
      // The CRDs first: the manager watches Databases from its start; its writes are held from the first.
      { parent: this, dependsOn: [this.crds, binding, policyBinding] },
    );
    // Nothing calls the manager (no webhook in v0.25.0): no ingress at all.
    new kubernetes.networking.v1.NetworkPolicy(
      `${name}-deny-ingress`,
      {
        metadata: { name: "deny-ingress", namespace: ns.metadata.name, labels },
        spec: { podSelector: {}, policyTypes: ["Ingress"] },
      },
      { parent: this },
    );
    this.ready = [this.crds, this.manager];
    this.registerOutputs({});
  }
}
