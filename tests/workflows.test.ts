/**
 * This repository's CI (.github/): pull requests run the README's test command and preview every stack
 * with the policy pack; main deploys dev → staging → prod through GitHub Environments, one deployment per
 * stack at a time, promoting with `npm run promote`; AWS through OIDC only; every action pinned by commit.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { ACTIONS } from "../components/versions";
import { CI_ROLES, ciStackFacts } from "../stacks/ci-stack";
import { PROMOTION_ORDER } from "../stacks/promotion";
import { listStacks, PROJECT_ROOT } from "../synth/stack-files";

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  name?: string;
  needs?: string | string[];
  "runs-on"?: string;
  environment?: string | { name: string };
  concurrency?: { group: string; "cancel-in-progress": boolean };
  permissions?: Record<string, string>;
  strategy?: { matrix: Record<string, unknown> };
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: unknown;
  jobs: Record<string, Job>;
}

const GITHUB = path.join(PROJECT_ROOT, ".github");
const read = (relative: string) => fs.readFileSync(path.join(GITHUB, relative), "utf8");
const ci = YAML.parse(read("workflows/ci.yaml")) as Workflow;
const deploy = YAML.parse(read("workflows/deploy.yaml")) as Workflow;
const setup = YAML.parse(read("actions/stack-setup/action.yml")) as {
  inputs: Record<string, unknown>;
  runs: { using: string; steps: Step[] };
};
const files = [
  ...fs.readdirSync(path.join(GITHUB, "workflows")).map((f) => `workflows/${f}`),
  "actions/stack-setup/action.yml",
];

const uses = (steps: Step[], action: string) => steps.filter((s) => s.uses?.startsWith(`${action}@`));
const runs = (steps: Step[]) => steps.map((s) => s.run ?? "").join("\n");
const indexOf = (steps: Step[], predicate: (s: Step) => boolean) => steps.findIndex(predicate);

describe("CI workflows", () => {
  it("are exactly ci.yaml and deploy.yaml, plus the stack-setup action", () => {
    assert.deepEqual(fs.readdirSync(path.join(GITHUB, "workflows")).sort(), ["ci.yaml", "deploy.yaml"]);
    assert.equal(setup.runs.using, "composite");
  });

  it("pin every action by full commit SHA, with its tag in a comment", () => {
    let pinned = 0;
    for (const file of files) {
      for (const line of read(file).split("\n")) {
        const match = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
        if (match === null) continue;
        const [, reference, rest] = match as unknown as [string, string, string];
        if (reference.startsWith("./")) continue;
        assert.match(reference, /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/, `${file}: ${reference} is pinned by SHA`);
        assert.match(rest, /^ # v\d+(\.\d+){0,2}$/, `${file}: ${reference} names its tag`);
        pinned++;
      }
    }
    // checkout, setup-node, upload-artifact, pulumi/actions, configure-aws-credentials, across the files.
    assert.ok(pinned >= 15, `${pinned} pinned uses`);
  });

  it("pin the actions the seeded workflows use to the same commits (components/versions.ts)", () => {
    const all = files.map(read).join("\n");
    for (const pin of Object.values(ACTIONS)) {
      for (const match of all.matchAll(new RegExp(`uses: ${pin.action}@([0-9a-f]{40}) # (\\S+)`, "g"))) {
        assert.equal(match[1], pin.sha, `${pin.action}`);
        assert.equal(match[2], pin.ref, `${pin.action}`);
      }
    }
  });

  it("never use stored AWS keys or pull_request_target", () => {
    for (const file of files) {
      const text = read(file);
      assert.doesNotMatch(
        text,
        /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|aws-access-key-id|aws-secret-access-key/,
        file,
      );
      assert.doesNotMatch(text, /pull_request_target/, file);
    }
  });

  it("grant nothing at workflow level; each job asks for what it needs", () => {
    for (const workflow of [ci, deploy]) {
      assert.deepEqual(workflow.permissions, {});
      for (const job of Object.values(workflow.jobs)) assert.ok(job.permissions, job.name);
    }
  });
});

describe("ci.yaml (pull requests)", () => {
  const check = ci.jobs["check"]!;
  const preview = ci.jobs["preview"]!;

  it("runs on pull requests to main", () => {
    assert.deepEqual(Object.keys(ci.on), ["pull_request"]);
    assert.deepEqual((ci.on["pull_request"] as { branches: string[] }).branches, ["main"]);
  });

  it("typechecks, lints and runs the README's test command on Node 22", () => {
    assert.deepEqual(check.permissions, { contents: "read" });
    const node = uses(check.steps, "actions/setup-node")[0]!;
    assert.equal(node.with?.["node-version-file"], ".nvmrc");
    assert.equal(fs.readFileSync(path.join(PROJECT_ROOT, ".nvmrc"), "utf8").trim(), "22");
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
    assert.match(readme, /npm ci && npm test {16}# the test suite/);
    const commands = runs(check.steps);
    // npm run build typechecks the policy pack on its own too, as Pulumi runs it.
    assert.match(
      (
        JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
          scripts: { build: string };
        }
      ).scripts.build,
      /tsc --noEmit -p policy/,
    );
    for (const command of ["npm ci", "npm run build", "npm run lint", "npm test"]) {
      assert.ok(commands.includes(command), command);
    }
    assert.ok(
      indexOf(check.steps, (s) => s.run?.startsWith("npm ci") === true) <
        indexOf(check.steps, (s) => s.run === "npm test"),
    );
  });

  it("synthesizes every stack, normal and preview, and uploads out/", () => {
    const synth = check.steps.find((s) => s.name === "Synth every stack")!.run!;
    const looped = /for stack in ([a-z ]+); do/.exec(synth)?.[1]?.split(" ");
    assert.deepEqual(looped?.sort(), listStacks());
    assert.match(synth, /npm run synth -- "\$stack"\n/);
    assert.match(synth, /npm run synth -- "\$stack" --preview --out out\/preview/);
    assert.equal(uses(check.steps, "actions/upload-artifact")[0]!.with?.["path"], "out/");
  });

  it("previews every stack with the policy pack and posts the diff, after the checks", () => {
    assert.equal(preview.needs, "check");
    assert.equal(
      (preview as { if?: string }).if,
      "github.event.pull_request.head.repo.full_name == github.repository",
    );
    assert.deepEqual(preview.strategy?.matrix["stack"], [...PROMOTION_ORDER]);
    assert.deepEqual(preview.permissions, {
      contents: "read",
      "id-token": "write",
      "pull-requests": "write",
    });
    assert.equal(preview.env?.["PULUMI_ACCESS_TOKEN"], "${{ secrets.PULUMI_ACCESS_TOKEN }}");
    const stackSetup = preview.steps.find((s) => s.uses === "./.github/actions/stack-setup")!;
    assert.equal(stackSetup.with?.["aws-role"], "preview");
    const pulumi = uses(preview.steps, "pulumi/actions")[0]!;
    assert.deepEqual(pulumi.with, {
      command: "preview",
      "stack-name": "${{ vars.PULUMI_ORGANIZATION }}/idp/${{ matrix.stack }}",
      "pulumi-version": "${{ steps.setup.outputs.pulumi-version }}",
      diff: true,
      "comment-on-pr": true,
      "edit-pr-comment": true,
      policyPacks: "policy",
      policyPackConfigs: "${{ steps.setup.outputs.policy-config }}",
    });
  });

  it("keeps previews out of the deployments' concurrency groups", () => {
    assert.deepEqual(preview.concurrency, {
      group: "pulumi-preview-${{ matrix.stack }}-${{ github.event.pull_request.number }}",
      "cancel-in-progress": true,
    });
  });
});

describe("deploy.yaml (main)", () => {
  it("runs on pushes to main only", () => {
    assert.deepEqual(deploy.on, { push: { branches: ["main"] } });
  });

  it("deploys the stages in promotion order, each after the previous one", () => {
    assert.deepEqual(Object.keys(deploy.jobs), [...PROMOTION_ORDER]);
    PROMOTION_ORDER.forEach((stack, index) => {
      const job = deploy.jobs[stack]!;
      assert.equal(job.needs, index === 0 ? undefined : PROMOTION_ORDER[index - 1], stack);
    });
  });

  for (const [index, stack] of PROMOTION_ORDER.entries()) {
    describe(`the ${stack} job`, () => {
      const job = deploy.jobs[stack]!;
      const source = index === 0 ? undefined : PROMOTION_ORDER[index - 1];

      it("runs in the stack's GitHub Environment, one deployment of the stack at a time", () => {
        assert.equal(job.environment, stack);
        assert.deepEqual(job.concurrency, { group: `pulumi-${stack}`, "cancel-in-progress": false });
        assert.deepEqual(job.permissions, { contents: "read", "id-token": "write" });
        assert.equal(job.env?.["PULUMI_ACCESS_TOKEN"], "${{ secrets.PULUMI_ACCESS_TOKEN }}");
        assert.equal(job.env?.["STACK"], `\${{ vars.PULUMI_ORGANIZATION }}/idp/${stack}`);
      });

      it("assumes the deploy role and runs pulumi up with the policy pack", () => {
        const stackSetup = job.steps.find((s) => s.uses === "./.github/actions/stack-setup")!;
        assert.deepEqual(stackSetup.with, {
          stack,
          "aws-role": "deploy",
          kubeconfig: `\${{ secrets.KUBECONFIG_${stack} }}`,
        });
        const up = uses(job.steps, "pulumi/actions")[0]!;
        assert.equal(up.with?.["command"], "up");
        assert.equal(up.with?.["stack-name"], "${{ env.STACK }}");
        assert.equal(up.with?.["policyPacks"], "policy");
        assert.equal(up.with?.["policyPackConfigs"], "${{ steps.setup.outputs.policy-config }}");
      });

      it(
        source === undefined
          ? "deploys every commit of main (first stage)"
          : `promotes from ${source} before pulumi up`,
        () => {
          const promote = indexOf(job.steps, (s) => s.run?.includes("npm run promote") === true);
          const up = indexOf(job.steps, (s) => s.uses?.startsWith("pulumi/actions@") === true);
          if (source === undefined) {
            assert.equal(promote, -1);
            return;
          }
          assert.ok(promote >= 0 && promote < up, "npm run promote runs before pulumi up");
          const command = job.steps[promote]!.run!.replace(/\s+/g, " ");
          assert.equal(
            command,
            `npm run promote -- ${source} ${stack} --deployed "$RUNNER_TEMP/promotion/outputs.json" --history "$RUNNER_TEMP/promotion/history.json" --commit "$GITHUB_SHA"`,
          );
          assert.equal(job.env?.["SOURCE"], `\${{ vars.PULUMI_ORGANIZATION }}/idp/${source}`);
          const readSource = job.steps[promote - 1]!.run!;
          assert.match(
            readSource,
            /pulumi stack output --json --stack "\$SOURCE" > "\$RUNNER_TEMP\/promotion\/outputs\.json"/,
          );
          assert.match(
            readSource,
            /pulumi stack history --json --stack "\$SOURCE" > "\$RUNNER_TEMP\/promotion\/history\.json"/,
          );
        },
      );

      it("records the stack's outputs and history for the next stage and the audit trail", () => {
        const up = indexOf(job.steps, (s) => s.uses?.startsWith("pulumi/actions@") === true);
        const record = indexOf(job.steps, (s) => s.name === `Record what ${stack} runs`);
        assert.ok(record > up);
        assert.match(job.steps[record]!.run!, /pulumi stack output --json --stack "\$STACK"/);
        assert.match(job.steps[record]!.run!, /pulumi stack history --json --stack "\$STACK"/);
        const upload = uses(job.steps, "actions/upload-artifact")[0]!;
        assert.equal(upload.with?.["name"], `deployed-${stack}-\${{ github.sha }}`);
      });
    });
  }
});

describe("stack-setup action", () => {
  it("installs, assumes the AWS role through OIDC and installs the Pulumi CLI at the SDK's version", () => {
    const steps = setup.runs.steps;
    assert.match(runs(steps), /npm ci --no-audit --no-fund/);
    assert.match(runs(steps), /npm run --silent ci:stack -- "\$STACK" >> "\$GITHUB_OUTPUT"/);
    const aws = uses(steps, "aws-actions/configure-aws-credentials")[0]!;
    assert.equal(aws.if, "steps.facts.outputs.has-aws == 'true'");
    assert.match(String(aws.with?.["role-to-assume"]), /deploy-role-arn.*preview-role-arn/);
    assert.deepEqual(Object.keys(aws.with ?? {}).sort(), [
      "aws-region",
      "role-session-name",
      "role-to-assume",
    ]);
    const cli = uses(steps, "pulumi/actions")[0]!;
    assert.deepEqual(cli.with, { "pulumi-version": "${{ steps.pulumi-version.outputs.version }}" });
    assert.match(runs(steps), /require\("@pulumi\/pulumi\/package.json"\)\.version/);
  });
});

describe("npm run ci:stack", () => {
  it("gives CI each stack's profile, policy config, cluster and, with AWS, region and roles", () => {
    assert.deepEqual(ciStackFacts("dev"), {
      stack: "dev",
      profile: "dev",
      cluster: "idp-dev",
      "kube-context": "kind-idp-dev",
      "policy-config": "policy/config/dev.json",
      "has-aws": "false",
    });
    assert.deepEqual(ciStackFacts("prod"), {
      stack: "prod",
      profile: "prod",
      cluster: "idp-prod",
      "kube-context": "arn:aws:eks:eu-west-1:123456789012:cluster/idp-prod",
      "policy-config": "policy/config/prod.json",
      "has-aws": "true",
      "aws-region": "eu-west-1",
      "aws-account": "123456789012",
      "preview-role-arn": `arn:aws:iam::123456789012:role/${CI_ROLES.preview}`,
      "deploy-role-arn": `arn:aws:iam::123456789012:role/${CI_ROLES.deploy}`,
    });
    for (const stack of listStacks()) {
      assert.ok(fs.existsSync(path.join(PROJECT_ROOT, ciStackFacts(stack)["policy-config"]!)), stack);
    }
  });
});
