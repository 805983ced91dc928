/**
 * The offline synth end to end: the CLI writes out/<stack>/, prints a summary and a diff, and a broken
 * stack file makes it exit 1 with one line naming the key, registering nothing.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import YAML from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { main as synthMain } from "../synth/cli";
import type { ResourceRecord } from "../synth/records";
import { synthesize } from "../synth/run";
import { loadStackConfig, notReadyForDeploy, PROJECT_ROOT, secretPlaceholder } from "../synth/stack-files";
import { editedConfig, FIXTURES_DIR } from "./harness";

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "idp-synth-test-"));
}

/** Captures stdout/stderr of an in-process CLI run. */
async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const write = process.stdout.write.bind(process.stdout);
  const error = console.error;
  process.stdout.write = (chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  };
  console.error = (...args: unknown[]) => {
    stderr += args.map(String).join(" ") + "\n";
  };
  try {
    const code = await synthMain(argv);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = write;
    console.error = error;
  }
}

/** A copy of the project's Pulumi.yaml with a dev stack file edited by `edit`. */
function brokenProject(edit: (config: Record<string, unknown>) => void): string {
  const root = tempDir();
  fs.copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
  const document = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  edit(document.config);
  fs.writeFileSync(path.join(root, "Pulumi.dev.yaml"), YAML.stringify(document));
  fs.cpSync(path.join(PROJECT_ROOT, "stacks", "placeholders"), path.join(root, "stacks", "placeholders"), {
    recursive: true,
  });
  return root;
}

describe("offline synth", () => {
  it("writes out/<stack>/ with resources, outputs, graph and summary", async () => {
    const out = tempDir();
    const { code, stdout } = await runCli(["dev", "--out", out]);
    assert.equal(code, 0);
    const dir = path.join(out, "dev");
    for (const file of ["resources.json", "outputs.json", "graph.mmd", "summary.txt"]) {
      assert.ok(fs.existsSync(path.join(dir, file)), `${file} written`);
    }
    const resources = JSON.parse(fs.readFileSync(path.join(dir, "resources.json"), "utf8")) as Array<{
      type: string;
      name: string;
      options: { protect: boolean };
      dependencies: { explicit: string[]; implied: string[] };
      inputs: Record<string, unknown>;
      secretInputs: string[];
    }>;
    const github = resources.find((r) => r.type === "pulumi:providers:github");
    assert.ok(github, "the GitHub provider is recorded");
    assert.deepEqual(github.secretInputs, ["token"]);
    assert.equal(github.inputs["token"], "[secret]");
    assert.ok(
      !fs
        .readFileSync(path.join(dir, "resources.json"), "utf8")
        .includes(secretPlaceholder("idp:githubToken")),
    );
    assert.match(fs.readFileSync(path.join(dir, "graph.mmd"), "utf8"), /^flowchart LR\n/);
    assert.match(stdout, /^Synth of stack dev: \d+ resources/);
    assert.match(stdout, /Deploy critical path: about \d+ s over \d+ resources/);
    assert.match(
      stdout,
      /GitHub writes on the critical path: \d+; longest chain of dependent GitHub writes: \d+\./,
    );
    assert.equal(
      fs.readFileSync(path.join(dir, "summary.txt"), "utf8"),
      stdout.slice(0, stdout.indexOf("\nWrote ")),
    );
  });

  it("prints the differences between two stacks", async () => {
    const { code, stdout } = await runCli(["--diff", "dev", "prod"]);
    assert.equal(code, 0);
    assert.match(stdout, /^Differences from stack dev to stack prod/);
    assert.match(
      stdout,
      /Only in prod \(\d+\):\n(.*\n)*\s+pulumi:pulumi:Stack\$pulumi:providers:aws::idp-aws/,
    );
    assert.match(stdout, /profile: "dev" → "prod"/);
  });

  it("shows no differences between a stack and itself", async () => {
    const { code, stdout } = await runCli(["--diff", "dev", "dev"]);
    assert.equal(code, 0);
    assert.match(stdout, /No differences\.\n$/);
  });

  const broken: Array<[string, (config: Record<string, unknown>) => void, RegExp]> = [
    [
      "a wrong type",
      (c) => {
        (c["idp:cluster"] as Record<string, unknown>)["name"] = 42;
      },
      /^Invalid config idp:cluster\.name: expected string, got number 42\. Fix: /,
    ],
    [
      "an unknown key",
      (c) => {
        c["idp:profle"] = "dev";
      },
      /^Invalid config idp:profle: unknown key \(did you mean "profile"\?\)\. Fix: /,
    ],
    [
      "a missing required key",
      (c) => {
        delete c["idp:domain"];
      },
      /^Invalid config idp:domain: is required but not set\. Fix: /,
    ],
  ];
  for (const [what, edit, message] of broken) {
    it(`exits 1 with one line naming the key on ${what}, writing nothing`, async () => {
      const root = brokenProject(edit);
      const out = tempDir();
      const { code, stdout, stderr } = await runCli(["dev", "--root", root, "--out", out]);
      assert.equal(code, 1);
      assert.equal(stdout, "");
      const lines = stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, stderr);
      assert.match(lines[0]!, message);
      assert.ok(!fs.existsSync(path.join(out, "dev")));
    });
  }

  it("rejects an unknown stack and a file that is not YAML with one line", async () => {
    const missing = await runCli(["qa"]);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /^Unknown stack "qa": there is no Pulumi\.qa\.yaml\. Stacks in this project: dev, prod, staging\.\n$/,
    );
    const root = tempDir();
    fs.copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
    fs.writeFileSync(path.join(root, "Pulumi.dev.yaml"), "config: [unclosed\n");
    const invalid = await runCli(["dev", "--root", root]);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /^Invalid stack file Pulumi\.dev\.yaml: not valid YAML \(.+\)\.\n$/);
  });

  it("answers usage errors with exit 2", async () => {
    assert.equal((await runCli([])).code, 2);
    assert.equal((await runCli(["--diff", "dev"])).code, 2);
    assert.equal((await runCli(["dev", "--bogus"])).code, 2);
  });

  it("the program itself stops on invalid config before registering any resource", async () => {
    const config = editedConfig("dev", (c) => {
      c.values["idp:profile"] = "qa";
    });
    const registered: ResourceRecord[] = [];
    await assert.rejects(
      synthesize({ stack: "dev", config, sink: registered }),
      (error: unknown) =>
        error instanceof pulumi.RunError &&
        /^Invalid config idp:profile: expected one of/.test(error.message),
    );
    // Only the stack itself, which Pulumi registers before it runs any program.
    assert.deepEqual(
      registered.map((r) => r.type),
      ["pulumi:pulumi:Stack"],
    );
  });

  it("reads secure values as secret placeholders and merges project defaults", () => {
    const config = loadStackConfig("prod");
    assert.ok(config.secretKeys.has("idp:githubAppPrivateKey"));
    assert.equal(config.values["idp:githubAppPrivateKey"], secretPlaceholder("idp:githubAppPrivateKey"));
    assert.equal(config.values["pulumi:disable-default-providers"], '["*"]');
  });

  it("runs as a command under tsx, as npm run synth does", function () {
    const out = tempDir();
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", path.join(PROJECT_ROOT, "synth/cli.ts"), "dev", "--preview", "--out", out],
      {
        encoding: "utf8",
        cwd: PROJECT_ROOT,
      },
    );
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /^Synth of stack dev \(preview: unknown values\)/);
  });
});

describe("synth: what is not ready for a real pulumi up", () => {
  it("names sample values still in place and secrets stood in for by placeholders", () => {
    const config = {
      stack: "staging",
      values: {
        "idp:github": JSON.stringify({ owner: "acme-idp", appId: 1234567, installationId: 11111111 }),
        "idp:domain": "staging.example.org",
        "idp:githubAppPrivateKey": "synth-placeholder-for-idp-githubAppPrivateKey",
      },
      secretKeys: new Set(["idp:githubAppPrivateKey"]),
      placeholders: ["idp:githubAppPrivateKey"],
    };
    assert.deepEqual(notReadyForDeploy(config), [
      "idp:github still holds sample data (acme-idp, 1234567): replace it with your own in Pulumi.staging.yaml or Pulumi.yaml",
      "idp:githubAppPrivateKey is not set; synth used a placeholder. Before pulumi preview: pulumi config set --stack staging --secret idp:githubAppPrivateKey <value>",
      `idp:github.packagesReader is not set: the cluster pulls app images without credentials, so the apps' GHCR packages must be public. For private images set it in Pulumi.staging.yaml, and pulumi config set --stack staging --secret idp:githubPackagesToken <token with read:packages> (docs/github.md, "Private images")`,
      "SchemaHero reads its Postgres plugin from docker.io/schemahero/plugin-postgres:0, a moving tag: to pin it, copy docker.io/schemahero/plugin-postgres:0.25.0 into a registry and set idp:mirror in Pulumi.staging.yaml (docs/mirrors.md)",
    ]);
    const withReader = {
      ...config,
      values: { ...config.values, "idp:github": JSON.stringify({ owner: "o", packagesReader: "bot" }) },
    };
    assert.ok(!notReadyForDeploy(withReader).some((line) => line.includes("packagesReader")));
    const mirrored = {
      ...config,
      values: { ...config.values, "idp:mirror": JSON.stringify({ registry: "m.example" }) },
    };
    assert.ok(!notReadyForDeploy(mirrored).some((line) => line.includes("SchemaHero")));
  });

  it("finds no sample data in the fixture stacks (their own values), only their unset secrets", () => {
    for (const stack of ["dev", "staging", "prod"]) {
      const config = loadStackConfig(stack, FIXTURES_DIR);
      assert.deepEqual(
        notReadyForDeploy(config).filter((line) => line.includes("sample data")),
        [],
        stack,
      );
    }
  });
});
