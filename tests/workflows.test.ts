/**
 * This repository's CI (.github/): pull requests run the README's test command, the conformance suite
 * and a preview of every stack with read-only credentials and the default branch's policy pack; main
 * plans each stage, then applies that exact plan in the stage's GitHub Environment, in promotion order;
 * drift is checked daily; AWS through OIDC only; every action pinned by commit.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { ACTIONS } from "../components/versions";
import { CI_ROLES, ciStackFacts } from "../synth/ci-stack";
import { PROMOTION_ORDER } from "../stacks/promotion";
import { COMMENT_LIMIT, marker, policyLines, previewComment } from "../stacks/preview-comment";
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
const drift = YAML.parse(read("workflows/drift.yaml")) as Workflow;
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
  it("are exactly ci.yaml, deploy.yaml and drift.yaml, plus the stack-setup action", () => {
    assert.deepEqual(fs.readdirSync(path.join(GITHUB, "workflows")).sort(), [
      "ci.yaml",
      "deploy.yaml",
      "drift.yaml",
    ]);
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
    for (const workflow of [ci, deploy, drift]) {
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

  it("previews every stack with the pull request's code in a read-only environment, staging and prod behind a reviewer", () => {
    assert.equal(preview.needs, "check");
    assert.equal(
      (preview as { if?: string }).if,
      "github.event.pull_request.head.repo.full_name == github.repository",
    );
    assert.deepEqual(preview.strategy?.matrix["stack"], [...PROMOTION_ORDER]);
    // Each stack's read-only token and kubeconfig live in the Environment preview-<stack>, never in
    // repository secrets a branch could read.
    assert.equal(preview.environment, "preview-${{ matrix.stack }}");
    assert.deepEqual(preview.permissions, {
      contents: "read",
      "id-token": "write",
      "pull-requests": "write",
    });
    assert.equal(preview.env?.["PULUMI_ACCESS_TOKEN"], "${{ secrets.PULUMI_ACCESS_TOKEN }}");
    const stackSetup = preview.steps.find((s) => s.uses === "./.github/actions/stack-setup")!;
    assert.deepEqual(stackSetup.with, {
      stack: "${{ matrix.stack }}",
      "aws-role": "preview",
      kubeconfig: "${{ secrets.KUBECONFIG }}",
    });
    assert.equal(
      uses(preview.steps, "pulumi/actions").length,
      0,
      "the CLI itself, to comment on failures too",
    );
  });

  it("judges the pull request with the default branch's policy pack, installed on its own", () => {
    const trusted = uses(preview.steps, "actions/checkout").find((s) => s.with?.["path"] === "trusted")!;
    assert.equal(trusted.with?.["ref"], "${{ github.event.pull_request.base.sha }}");
    assert.match(runs(preview.steps), /npm ci --no-audit --no-fund --prefix trusted/);
    const command = preview.steps.find((s) => s.name === "pulumi preview")!.run!;
    assert.match(command, /--policy-pack trusted\/policy --policy-pack-config "trusted\/\$POLICY_CONFIG"/);
    assert.doesNotMatch(command, /--policy-pack policy /);
    const codeowners = fs.readFileSync(path.join(GITHUB, "CODEOWNERS"), "utf8");
    assert.match(codeowners, /^\/policy\/ @\S+\/\S+$/m, "policy/ has code owners");
  });

  it("comments the result on the pull request, violations included, also when the preview fails", () => {
    const previewStep = preview.steps.find((s) => s.name === "pulumi preview")!;
    assert.match(previewStep.run!, /^set \+e/);
    const comment = preview.steps.find((s) => s.name?.startsWith("Comment on the pull request") === true)!;
    assert.equal(comment.if, undefined, "runs after a failed preview too (the preview step never fails)");
    assert.match(comment.run!, /npm run --silent ci:preview-comment -- "\$STACK_NAME" "\$STATUS"/);
    assert.match(comment.run!, /exit "\$STATUS"$/m, "the job still fails when the preview did");
  });

  it("has one required check that a skipped or failed preview fails", () => {
    const gate = ci.jobs["previews"]!;
    assert.deepEqual(gate.needs, ["check", "conformance", "preview"]);
    assert.equal((gate as { if?: string }).if, "always()");
    assert.match(
      runs(gate.steps),
      /\[ "\$CHECK" = success \] && \[ "\$CONFORMANCE" = success \] && \[ "\$PREVIEW" = success \]/,
    );
  });

  it("runs the conformance suite with Go, caching the built tools by their pins", () => {
    const job = ci.jobs["conformance"]!;
    assert.ok(uses(job.steps, "actions/setup-go").length === 1);
    assert.match(runs(job.steps), /npm run conformance/);
    assert.match(
      JSON.stringify(uses(job.steps, "actions/cache")[0]!.with),
      /hashFiles\('components\/versions\.ts'\)/,
    );
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

  it("plans and deploys the stages in promotion order: plan, then the gated apply, then the next plan", () => {
    assert.deepEqual(
      Object.keys(deploy.jobs),
      PROMOTION_ORDER.flatMap((stack) => [`plan-${stack}`, `deploy-${stack}`]),
    );
    PROMOTION_ORDER.forEach((stack, index) => {
      assert.equal(
        deploy.jobs[`plan-${stack}`]!.needs,
        index === 0 ? undefined : `deploy-${PROMOTION_ORDER[index - 1]}`,
      );
      assert.equal(deploy.jobs[`deploy-${stack}`]!.needs, `plan-${stack}`);
    });
  });

  for (const [index, stack] of PROMOTION_ORDER.entries()) {
    describe(`the ${stack} stage`, () => {
      const plan = deploy.jobs[`plan-${stack}`]!;
      const apply = deploy.jobs[`deploy-${stack}`]!;
      const source = index === 0 ? undefined : PROMOTION_ORDER[index - 1];

      it("plans with read-only credentials and shows the plan to approvers in the job summary", () => {
        assert.equal(plan.environment, `plan-${stack}`);
        const stackSetup = plan.steps.find((s) => s.uses === "./.github/actions/stack-setup")!;
        assert.equal(stackSetup.with?.["aws-role"], "preview");
        const planStep = plan.steps.find((s) => s.name === `Plan this commit against ${stack}`)!.run!;
        assert.match(planStep, /--save-plan "\$RUNNER_TEMP\/plan\/plan\.json"/);
        assert.match(planStep, /--policy-pack policy --policy-pack-config "\$POLICY_CONFIG"/);
        assert.match(planStep, /GITHUB_STEP_SUMMARY/);
        assert.equal(
          uses(plan.steps, "actions/upload-artifact")[0]!.with?.["name"],
          `plan-${stack}-\${{ github.sha }}`,
        );
      });

      it("applies exactly the approved plan in the stack's Environment, one deployment at a time, then checks convergence", () => {
        assert.equal(apply.environment, stack);
        assert.deepEqual(apply.concurrency, { group: `pulumi-${stack}`, "cancel-in-progress": false });
        assert.deepEqual(apply.permissions, { contents: "read", "id-token": "write" });
        assert.equal(apply.env?.["STACK"], `\${{ vars.PULUMI_ORGANIZATION }}/idp/${stack}`);
        const stackSetup = apply.steps.find((s) => s.uses === "./.github/actions/stack-setup")!;
        assert.deepEqual(stackSetup.with, {
          stack,
          "aws-role": "deploy",
          kubeconfig: "${{ secrets.KUBECONFIG }}",
        });
        const download = uses(apply.steps, "actions/download-artifact")[0]!;
        assert.equal(download.with?.["name"], `plan-${stack}-\${{ github.sha }}`);
        const up = apply.steps.find((s) => s.name === "Apply the approved plan")!.run!.replace(/\s+/g, " ");
        assert.match(
          up,
          /pulumi up --stack "\$STACK" --yes --skip-preview --non-interactive --plan "\$RUNNER_TEMP\/plan\/plan\.json"/,
        );
        assert.match(up, /--policy-pack policy/);
        const converged = apply.steps.find((s) => s.name === "Converged")!.run!;
        assert.match(converged, /--expect-no-changes/);
        // Never a step timeout on the update: the job's is generous (an interrupted update leaves locks).
        assert.ok((apply as { "timeout-minutes"?: number })["timeout-minutes"]! >= 120);
        assert.equal(
          apply.steps.some((s) => "timeout-minutes" in s),
          false,
        );
      });

      it(
        source === undefined
          ? "plans every commit of main (first stage)"
          : `checks the promotion from ${source} before planning`,
        () => {
          const promote = indexOf(plan.steps, (s) => s.run?.includes("npm run promote") === true);
          const planning = indexOf(plan.steps, (s) => s.name === `Plan this commit against ${stack}`);
          if (source === undefined) {
            assert.equal(promote, -1);
            return;
          }
          assert.ok(promote >= 0 && promote < planning);
          assert.equal(
            plan.steps[promote]!.run!.replace(/\s+/g, " "),
            `npm run promote -- ${source} ${stack} --deployed "$RUNNER_TEMP/promotion/outputs.json" --history "$RUNNER_TEMP/promotion/history.json" --commit "$GITHUB_SHA"`,
          );
        },
      );

      it("records the stack's outputs and history for the next stage and the audit trail", () => {
        const record = apply.steps.find((s) => s.name === `Record what ${stack} runs`)!.run!;
        assert.match(record, /pulumi stack output --json --stack "\$STACK"/);
        assert.match(record, /pulumi stack history --json --stack "\$STACK"/);
        assert.equal(
          uses(apply.steps, "actions/upload-artifact")[0]!.with?.["name"],
          `deployed-${stack}-\${{ github.sha }}`,
        );
      });
    });
  }
});

describe("drift.yaml (daily)", () => {
  it("refreshes every stack in a preview with read-only credentials and reports drift as an issue", () => {
    assert.deepEqual(Object.keys(drift.on).sort(), ["schedule", "workflow_dispatch"]);
    const job = drift.jobs["drift"]!;
    assert.deepEqual(job.strategy?.matrix["stack"], [...PROMOTION_ORDER]);
    assert.equal(job.environment, "plan-${{ matrix.stack }}");
    assert.deepEqual(job.permissions, { contents: "read", "id-token": "write", issues: "write" });
    const check = job.steps.find((s) => s.name === "Refresh and compare")!.run!;
    assert.match(check, /pulumi preview --stack "\$STACK" --refresh --expect-no-changes/);
    assert.match(runs(job.steps), /gh issue create --repo "\$REPO" --title "\$title"/);
  });
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

describe("npm run ci:preview-comment", () => {
  const output = [
    "Previewing update (acme/idp/prod)",
    "",
    "    ~ kubernetes:helm.sh/v3:Release idp-argocd-release update [diff: ~values]",
    "",
    "Policies:",
    "    ❌ idp-guardrails@v1.0.0 (local: policy)",
    "        - [mandatory]  prod-protects-stateful  (kubernetes:helm.sh/v3:Release: idp-argocd-release)",
    "          idp-argocd-release is a release of the argo-cd chart, which installs CRDs and is not protected in prod",
    "",
    "Resources:",
    "    ~ 1 to update",
    "    120 unchanged",
  ].join("\n");

  it("names the stack, says it failed, lists the policy violations and keeps the resource summary", () => {
    const body = previewComment("prod", 255, output);
    assert.ok(body.startsWith(`${marker("prod")}\n#### \`pulumi preview\` of prod: **failed** (exit 255)`));
    assert.match(body, /\*\*Policy pack\*\* \(from the default branch\):\n\n```\n❌ idp-guardrails@v1\.0\.0/);
    assert.match(body, /\[mandatory\] {2}prod-protects-stateful/);
    assert.match(body, /Resources:\n {4}~ 1 to update/);
  });

  it("keeps the end of an output too long for a comment: the violations and the summary", () => {
    const long = `${"x".repeat(COMMENT_LIMIT * 2)}\n${output}`;
    const body = previewComment("prod", 0, long);
    assert.ok(body.length < 65_536);
    assert.match(body, /the first \d+ characters are left out/);
    assert.match(body, /120 unchanged/);
    assert.ok(body.includes("#### `pulumi preview` of prod: succeeded"));
    assert.deepEqual(policyLines("Resources:\n    1 unchanged\n"), []);
  });
});

describe("CODEOWNERS (this repository)", () => {
  it("gives the policy pack and CI owners (teams), so a pull request cannot change them unreviewed", () => {
    // Which team is the fork's to say (its platform admins); that one exists is what matters here.
    const codeowners = fs.readFileSync(path.join(GITHUB, "CODEOWNERS"), "utf8");
    for (const owned of ["/policy/", "/.github/"]) {
      const line = codeowners.split("\n").find((l) => l.startsWith(`${owned} `));
      assert.ok(line, `${owned} has owners`);
      for (const handle of line.split(/\s+/).slice(1)) assert.match(handle, /^@[\w.-]+\/[\w.-]+$/, line);
    }
  });
});
