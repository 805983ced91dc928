/**
 * Guardrail 2: secrets never travel in Helm values or ConfigMaps. Both are stored in plaintext (Helm
 * release records are Secrets anyone with read access to the namespace can decode; ConfigMaps are meant
 * to be read), and Helm values also land in Pulumi state unencrypted unless marked secret. Secrets reach
 * workloads through ExternalSecrets only (docs/foundations.md, "Secrets").
 *
 * A heuristic, on purpose on the strict side:
 * - any string that looks like a credential (a PEM private key, a GitHub, AWS or Slack token) fails;
 * - a key whose last words say "password", "private key", "client secret", "API key", "access token"...
 *   fails with any non-empty text value;
 * - a key ending in "secret", "token", "credentials" or "secret key" may name a Kubernetes Secret (ARC's
 *   `githubConfigSecret: arc-github-app`), so a value that is a valid object name passes, anything else
 *   fails; "existingSecret" and keys ending in name, ref, path, file or URL are references, and so are
 *   values like `$oidc.clientSecret` (Argo CD) or `${TOKEN}` that point at a secret kept elsewhere.
 *
 * The policy SDK hands validation policies plaintext values (a Pulumi secret is unwrapped first), so
 * "is this value a Pulumi secret" cannot be asked here; tests/secret-leaks.test.ts covers that side.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isHelm, read, walk } from "./lib";

/** Patterns of credentials whatever the key: a mistake in a key name must not hide them. */
const CREDENTIAL_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a PEM private key"],
  [/\bgh[pousr]_[A-Za-z0-9]{36,}\b/, "a GitHub token"],
  [/\bgithub_pat_[A-Za-z0-9_]{22,}\b/, "a GitHub token"],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, "an AWS access key id"],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/, "a Slack token"],
];

/** The words of a key: `githubConfigSecret` → github config secret; `CLIENT_SECRET` → client secret. */
export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

const VALUE_KEYS = [
  "password",
  "passwd",
  "passphrase",
  "private key",
  "privatekey",
  "client secret",
  "clientsecret",
  "api key",
  "apikey",
  "api token",
  "access token",
  "auth token",
  "bearer token",
  "secret access key",
  "webhook secret",
  "shared secret",
] as const;
const MAYBE_REFERENCE_KEYS = ["secret", "token", "credentials", "credential", "secret key"] as const;
const REFERENCE_LAST_WORDS = new Set(["name", "names", "ref", "path", "file", "url", "enabled", "ttl"]);

/**
 * A value that points at a secret kept elsewhere: Argo CD's `$<key>` / `$<secret>:<key>` references into a
 * Secret, or an environment variable `${NAME}` / `$(NAME)` a container resolves.
 */
const SECRET_REFERENCE = /^(\$[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?|\$\{[A-Za-z0-9_]+\}|\$\([A-Za-z0-9_]+\))$/;

/** A Kubernetes object name (DNS-1123 subdomain): how values name a Secret. */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export type SecretKeyKind = "value" | "maybe-reference" | undefined;

/** Whether a key holds a secret value, perhaps a reference to a Secret, or neither. */
export function secretKeyKind(key: string): SecretKeyKind {
  const words = keyWords(key);
  const last = words[words.length - 1];
  if (last === undefined || REFERENCE_LAST_WORDS.has(last)) return undefined;
  if (words.length >= 2 && words[words.length - 2] === "existing") return undefined;
  const tail = (n: number) => words.slice(-n).join(" ");
  if (VALUE_KEYS.some((phrase) => tail(phrase.split(" ").length) === phrase)) return "value";
  if (MAYBE_REFERENCE_KEYS.some((phrase) => tail(phrase.split(" ").length) === phrase))
    return "maybe-reference";
  return undefined;
}

/** Every place in `value` that holds what looks like a secret, as `path: why` lines. */
export function secretLookingValues(value: unknown, prefix: string): string[] {
  const problems: string[] = [];
  for (const leaf of walk(value)) {
    if (typeof leaf.value !== "string" || leaf.value === "") continue;
    const where = `${prefix}${leaf.path}`;
    const pattern = CREDENTIAL_PATTERNS.find(([regex]) => regex.test(leaf.value as string));
    if (pattern !== undefined) {
      problems.push(`${where} holds ${pattern[1]}`);
      continue;
    }
    const kind = secretKeyKind(leaf.key);
    if (SECRET_REFERENCE.test(leaf.value)) continue;
    if (kind === "value") problems.push(`${where} holds a literal ${keyWords(leaf.key).join(" ")}`);
    else if (kind === "maybe-reference" && !OBJECT_NAME.test(leaf.value)) {
      problems.push(`${where} holds a literal ${keyWords(leaf.key).join(" ")} (not the name of a Secret)`);
    }
  }
  return problems;
}

export const noSecretsInHelmValues: ResourceValidationPolicy = {
  name: "no-secrets-in-helm-values",
  description:
    "Helm values carry no secret: credentials reach workloads through ExternalSecrets, and values only name the Secret.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (!isHelm(args.type)) return;
    const values = read(args.props, "values");
    for (const problem of secretLookingValues(values, "values.")) {
      reportViolation(
        `${problem}: put the secret in the secrets backend (Platform.secrets.put), create it with an ExternalSecret and name that Secret in the values.`,
      );
    }
  },
};

export const noSecretsInConfigMaps: ResourceValidationPolicy = {
  name: "no-secrets-in-configmaps",
  description: "ConfigMaps hold no secret-looking data: secrets are Secrets created by ExternalSecrets.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== "kubernetes:core/v1:ConfigMap") return;
    for (const field of ["data", "binaryData"]) {
      const data = read(args.props, field);
      for (const problem of secretLookingValues(data, `${field}.`)) {
        reportViolation(`${problem}: move it to the secrets backend and read it through an ExternalSecret.`);
      }
    }
  },
};
