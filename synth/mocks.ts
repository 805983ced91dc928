/**
 * Pulumi mocks for the offline synth and the tests.
 *
 * - Normal mode answers like a successful `pulumi up`: inputs come back as outputs, plus the computed
 *   outputs the program reads (ARNs, repository URLs, team slugs, generated passwords), deterministic
 *   so that two runs and two stacks compare cleanly.
 * - Preview mode answers like `pulumi preview`: ids and computed outputs stay unknown, so code that
 *   mishandles unknowns fails here rather than in a real preview.
 * - Invokes (data sources) are not mocked: the program must not depend on reading the live world while
 *   it is evaluated, so any invoke throws and names itself.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

export interface MockContext {
  /** GitHub owner for repository URLs. */
  readonly githubOwner: string;
  /** AWS account and region for ARNs. */
  readonly awsAccountId: string;
  readonly awsRegion: string;
  /** Whether to answer as a preview (unknown computed outputs). */
  readonly preview: boolean;
}

export class UnmockedInvokeError extends Error {
  /** The SDK rethrows an invoke failure as `new Error(err.details)`, as it does for engine errors. */
  readonly details: string;

  constructor(token: string) {
    super(
      `The program called the data source ${token} while it was evaluated. The platform must not read the live world at evaluation time; take the value from config or from a resource output instead.`,
    );
    this.name = "UnmockedInvokeError";
    this.details = this.message;
  }
}

export class PlatformMocks implements pulumi.runtime.Mocks {
  constructor(private readonly context: MockContext) {}

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    const inputs = (args.inputs ?? {}) as Record<string, unknown>;
    if (this.context.preview) {
      // A real preview knows inputs but neither ids nor computed outputs.
      return { id: undefined, state: inputs };
    }
    return {
      id: mockId(args.type, args.name, inputs),
      state: { ...inputs, ...computedOutputs(args.type, args.name, inputs, this.context) },
    };
  }

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    throw new UnmockedInvokeError(args.token);
  }
}

function mockId(type: string, name: string, inputs: Record<string, unknown>): string {
  if (type === "github:index/team:Team") return String(numericId(name));
  const explicit = inputs["name"];
  return typeof explicit === "string" && explicit.length > 0 ? explicit : `${name}-id`;
}

function numericId(seed: string): number {
  return parseInt(createHash("sha256").update(seed).digest("hex").slice(0, 7), 16);
}

function deterministic(seed: string, length: number, alphabet: string): string {
  const bytes = createHash("sha256").update(seed).digest();
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[(bytes[i % bytes.length] ?? 0) % alphabet.length];
  return out;
}

function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

/** Computed outputs by resource type: only what the program reads. Everything else echoes inputs. */
function computedOutputs(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  context: MockContext,
): Record<string, unknown> {
  const physicalName = typeof inputs["name"] === "string" ? inputs["name"] : name;
  const { awsAccountId: account, awsRegion: region, githubOwner: owner } = context;

  if (type.startsWith("aws:")) {
    const [, module = "", kind = ""] = type.split(":");
    const service = module.split("/")[0] ?? module;
    const arn =
      service === "iam"
        ? `arn:aws:iam::${account}:${kind.charAt(0).toLowerCase() + kind.slice(1)}/${physicalName}`
        : `arn:aws:${service}:${region}:${account}:${kind.toLowerCase()}:${physicalName}`;
    return { arn, name: physicalName, id: physicalName };
  }

  switch (type) {
    case "github:index/repository:Repository":
      return {
        fullName: `${owner}/${physicalName}`,
        htmlUrl: `https://github.com/${owner}/${physicalName}`,
        httpCloneUrl: `https://github.com/${owner}/${physicalName}.git`,
        sshCloneUrl: `git@github.com:${owner}/${physicalName}.git`,
        nodeId: `R_${deterministic(physicalName, 12, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")}`,
        repoId: numericId(physicalName),
      };
    case "github:index/team:Team":
      return { slug: slugify(physicalName), nodeId: `T_${numericId(physicalName)}` };
    case "random:index/randomPassword:RandomPassword":
    case "random:index/randomString:RandomString": {
      const length = typeof inputs["length"] === "number" ? inputs["length"] : 32;
      const result = deterministic(name, length, "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789");
      return {
        result,
        bcryptHash: `$2a$10$${deterministic(name + "bcrypt", 53, "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")}`,
      };
    }
    case "random:index/randomId:RandomId": {
      const byteLength = typeof inputs["byteLength"] === "number" ? inputs["byteLength"] : 8;
      const hex = createHash("sha256")
        .update(name)
        .digest("hex")
        .slice(0, byteLength * 2);
      return {
        hex,
        b64Url: Buffer.from(hex, "hex").toString("base64url"),
        dec: BigInt("0x" + hex).toString(),
      };
    }
    case "tls:index/privateKey:PrivateKey": {
      const key = deterministic(name, 68, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
      return {
        publicKeyOpenssh: `ssh-ed25519 ${key}\n`,
        privateKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\n${deterministic(name + "private", 70, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}\n-----END OPENSSH PRIVATE KEY-----\n`,
        publicKeyFingerprintSha256: `SHA256:${deterministic(name + "fingerprint", 43, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}`,
      };
    }
    case "time:index/static:Static":
      // A fixed instant, so two runs compare cleanly.
      return { rfc3339: "2026-01-01T00:00:00Z", unix: 1767225600 };
    case "kubernetes:helm.sh/v3:Release":
      return {
        status: {
          name: physicalName,
          namespace: inputs["namespace"],
          chart: inputs["chart"],
          version: inputs["version"],
          status: "deployed",
          revision: 1,
        },
      };
    default:
      return {};
  }
}
