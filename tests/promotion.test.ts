/**
 * Promotion (stacks/promotion.ts, synth/promote-cli.ts): every check refuses with its exact line when
 * its condition fails and passes when it holds; the command's exit codes; the platformVersions output
 * the checks compare.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { z } from "zod";
import { CHARTS, CROSSPLANE_PACKAGES, IMAGES } from "../components/versions";
import type { RawStackConfig } from "../stacks/config";
import {
  asPlatformVersions,
  lockedPackages,
  platformVersions,
  versionsDigest,
  type PlatformVersions,
} from "../stacks/platform-versions";
import { main, type Io } from "../synth/promote-cli";
import {
  checkConfigs,
  checkHistory,
  checkOrder,
  checkVersions,
  CONFIG_SCOPE,
  evaluatePromotion,
  formatVerdict,
  GITHUB_CONFIG_SCOPE,
  HISTORY_DEFAULTS,
  organizationKeys,
  parseHistoryTime,
  PROMOTION_ORDER,
  type HistoryEntry,
} from "../stacks/promotion";
import { PROFILE_NAMES } from "../stacks/profiles";
import { settingsShape } from "../stacks/schema";
import { listStacks, loadStackConfig, PROJECT_ROOT } from "../synth/stack-files";
import { editedConfig, FIXTURES_DIR, stackConfigObject, synthStack, type StackConfigObject } from "./harness";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const OTHER_COMMIT = "fedcba9876543210fedcba9876543210fedcba98";
const NOW = new Date("2026-08-20T12:00:00Z");
const REQUIREMENTS = { commit: COMMIT, now: NOW, maxAgeHours: 168 };

function update(overrides: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    version: 41,
    kind: "update",
    result: "succeeded",
    startTime: "2026-08-20T09:50:00.000Z",
    endTime: "2026-08-20T10:00:00.000Z",
    environment: { "git.head": COMMIT, "git.dirty": "false", "exec.kind": "cli" },
    ...overrides,
  };
}

function versions(pins: Record<string, string>, packages: Record<string, string> = {}): PlatformVersions {
  return { digest: versionsDigest(pins, packages), pins, packages };
}

function allConfigs(edits: Record<string, (config: StackConfigObject) => void> = {}) {
  const all: Record<string, RawStackConfig> = {};
  for (const stack of listStacks(FIXTURES_DIR)) {
    all[stack] = editedConfig(stack, edits[stack] ?? (() => undefined));
  }
  return all;
}

describe("promotion", () => {
  describe("order", () => {
    it("follows the stacks: dev → staging → prod, by increasing profile", () => {
      assert.deepEqual([...PROMOTION_ORDER].sort(), listStacks(FIXTURES_DIR));
      const profiles = PROMOTION_ORDER.map((stack) => stackConfigObject(stack).values["idp:profile"]);
      const ranks = profiles.map((profile) => (PROFILE_NAMES as readonly unknown[]).indexOf(profile));
      assert.deepEqual(ranks, [...ranks].sort(), `profiles along the order: ${profiles.join(", ")}`);
    });

    it("allows each next step", () => {
      assert.deepEqual(checkOrder("dev", "staging").reasons, []);
      assert.deepEqual(checkOrder("staging", "prod").reasons, []);
      assert.equal(checkOrder("staging", "prod").summary, "prod follows staging (dev → staging → prod)");
    });

    it("refuses skipping a stage", () => {
      assert.deepEqual(checkOrder("dev", "prod").reasons, [
        "prod follows staging, not dev: promote dev → staging first (dev → staging → prod, one step at a time).",
      ]);
    });

    it("refuses going backwards or to the same stage", () => {
      assert.deepEqual(checkOrder("prod", "staging").reasons, [
        "staging comes before prod in the promotion order (dev → staging → prod); changes only move forward.",
      ]);
      assert.deepEqual(checkOrder("staging", "staging").reasons, [
        "staging → staging is not a promotion: the source and the target are the same stage.",
      ]);
    });

    it("refuses a stage outside the order", () => {
      assert.deepEqual(checkOrder("qa", "prod").reasons, [
        "qa is not a stage of the promotion order (dev → staging → prod).",
      ]);
    });
  });

  describe("versions", () => {
    const target = versions({ "charts.a": "repo/a@1.0.0", "images.b": "b:2" }, { "@pulumi/pulumi": "3.0.0" });

    it("passes when the target receives exactly what the source runs", () => {
      const result = checkVersions({ platformVersions: target, profile: "dev" }, target, "dev", "staging");
      assert.deepEqual(result.reasons, []);
      assert.equal(
        result.summary,
        `staging receives exactly what dev runs (2 pins, 1 packages, ${target.digest})`,
      );
    });

    it("lists every difference: changed, new and dropped pins and packages", () => {
      const deployed = versions(
        { "charts.a": "repo/a@0.9.0", "images.old": "old:1" },
        { "@pulumi/pulumi": "2.9.0" },
      );
      assert.deepEqual(checkVersions({ platformVersions: deployed }, target, "dev", "staging").reasons, [
        "staging would receive 4 versions that differ from what dev runs: deploy this commit to dev first.",
        "  charts.a: dev runs repo/a@0.9.0, staging would receive repo/a@1.0.0.",
        "  images.b: staging would receive b:2, which dev has never run.",
        "  images.old: dev runs old:1, which staging would not receive.",
        "  package @pulumi/pulumi: dev runs 2.9.0, staging would receive 3.0.0.",
      ]);
    });

    it("refuses outputs that are not an object", () => {
      assert.deepEqual(checkVersions("not json", target, "dev", "staging").reasons, [
        "The deployed outputs of dev are not a JSON object: pass the output of pulumi stack output --json --stack dev.",
      ]);
    });

    it("refuses outputs without platformVersions", () => {
      assert.deepEqual(checkVersions({ profile: "dev" }, target, "dev", "staging").reasons, [
        "The deployed outputs of dev have no platformVersions: dev was last deployed by a program without it; run pulumi up on dev at this commit first.",
      ]);
    });

    it("refuses a malformed platformVersions", () => {
      assert.deepEqual(
        checkVersions({ platformVersions: { digest: "x", pins: [] } }, target, "dev", "staging").reasons,
        [
          "The platformVersions output of dev has no pins table: pass the unmodified output of pulumi stack output --json.",
        ],
      );
    });

    it("refuses a platformVersions edited after the fact (digest mismatch)", () => {
      const edited = { ...target, pins: { ...target.pins, "charts.a": "repo/a@1.0.1" } };
      assert.deepEqual(checkVersions({ platformVersions: edited }, target, "dev", "staging").reasons, [
        `The platformVersions output of dev does not match its own digest (${target.digest}): the file was edited or truncated; pass the unmodified output of pulumi stack output --json.`,
      ]);
    });
  });

  describe("history", () => {
    const reasons = (history: unknown, requirements = REQUIREMENTS) =>
      checkHistory(history, "dev", requirements).reasons;

    it("passes a recent successful update of the commit from a clean tree", () => {
      const result = checkHistory([update(), update({ version: 40, result: "failed" })], "dev", REQUIREMENTS);
      assert.deepEqual(result.reasons, []);
      assert.equal(result.summary, "dev version 41 is a successful update of 0123456789ab, 2 h old");
    });

    it("orders entries by version, not by position, and skips previews", () => {
      const history = [
        update({ version: 40, environment: { "git.head": OTHER_COMMIT } }),
        update({
          version: 43,
          kind: "preview",
          result: "succeeded",
          environment: { "git.head": OTHER_COMMIT },
        }),
        update({ version: 42 }),
      ];
      assert.deepEqual(reasons(history), []);
    });

    it("matches an abbreviated commit of at least 7 characters", () => {
      assert.deepEqual(reasons([update()], { ...REQUIREMENTS, commit: COMMIT.slice(0, 7) }), []);
      assert.deepEqual(reasons([update()], { ...REQUIREMENTS, commit: COMMIT.slice(0, 6) }), [
        "The last update of dev (version 41) deployed commit 0123456789ab, not 012345, the commit being promoted: deploy this commit to dev first.",
      ]);
    });

    it("refuses something that is not stack history", () => {
      assert.deepEqual(reasons({ version: 1 }), [
        "The history of dev is not the output of pulumi stack history --json --stack dev.",
      ]);
    });

    it("refuses a stack that was never deployed", () => {
      assert.deepEqual(reasons([]), ["dev has never been deployed: run pulumi up on dev first."]);
    });

    it("refuses while an operation is in progress", () => {
      const running = {
        version: 42,
        kind: "update",
        result: "in-progress",
        startTime: "2026-08-20T11:59:00.000Z",
      };
      assert.deepEqual(reasons([update(), running]), [
        "An update of dev is in progress (version 42): wait for it to finish, then promote again.",
      ]);
    });

    it("refuses when the last operation is not an update", () => {
      assert.deepEqual(reasons([update(), update({ version: 42, kind: "refresh" })]), [
        "The last operation on dev is a refresh (version 42), not an update: run pulumi up on dev at this commit, then promote.",
      ]);
    });

    it("refuses a failed last update", () => {
      assert.deepEqual(reasons([update({ result: "failed" })]), [
        "The last update of dev (version 41) ended failed: fix dev and deploy it successfully first.",
      ]);
    });

    it("refuses an update of another commit", () => {
      assert.deepEqual(reasons([update({ environment: { "git.head": OTHER_COMMIT } })]), [
        "The last update of dev (version 41) deployed commit fedcba987654, not 0123456789ab, the commit being promoted: deploy this commit to dev first.",
      ]);
    });

    it("refuses an update without a recorded commit", () => {
      assert.deepEqual(reasons([update({ environment: {} })]), [
        "The last update of dev (version 41) records no commit (git.head): deploy dev from a Git checkout (CI) first.",
      ]);
    });

    it("refuses an update from a dirty working tree", () => {
      assert.deepEqual(reasons([update({ environment: { "git.head": COMMIT, "git.dirty": "true" } })]), [
        "The last update of dev (version 41) ran from a working tree with uncommitted changes: deploy dev from a clean checkout (CI).",
      ]);
    });

    it("refuses a stale update", () => {
      assert.deepEqual(reasons([update({ endTime: "2026-08-10T10:00:00.000Z" })]), [
        "The last update of dev (version 41) finished 242 hours ago, more than the 168 allowed: run pulumi up on dev again to re-verify, then promote.",
      ]);
    });

    it("refuses an update without a readable end time", () => {
      assert.deepEqual(reasons([update({ endTime: "yesterday" })]), [
        "The last update of dev (version 41) has no readable end time: pass the output of pulumi stack history --json.",
      ]);
    });

    it("reads the CLI's time formats", () => {
      const expected = Date.parse("2026-08-20T10:00:00Z");
      assert.equal(parseHistoryTime("2026-08-20T10:00:00.000Z"), expected);
      assert.equal(parseHistoryTime("2026-08-20 12:00:00 +0200 CEST"), expected);
      assert.equal(parseHistoryTime("2026-08-20 10:00:00.123456789 +0000 UTC"), expected + 123);
      assert.ok(Number.isNaN(parseHistoryTime("soon")));
    });
  });

  describe("config", () => {
    it("classifies every config key, and every field of idp:github, as environment or organization", () => {
      assert.deepEqual(Object.keys(CONFIG_SCOPE).sort(), Object.keys(settingsShape).sort());
      const github = settingsShape.github as unknown as z.ZodObject;
      assert.deepEqual(Object.keys(GITHUB_CONFIG_SCOPE).sort(), Object.keys(github.shape).sort());
      assert.deepEqual(organizationKeys(), [
        "github.owner",
        "github.managementRepository",
        "github.templateRepository",
        "github.environments",
        "teams",
        "apps",
      ]);
    });

    it("passes the stack files as committed: they differ only in environment keys", () => {
      for (const [from, to] of [
        ["dev", "staging"],
        ["staging", "prod"],
      ] as const) {
        const result = checkConfigs({ all: allConfigs(), from, to });
        assert.deepEqual(result.reasons, [], `${from} → ${to}`);
      }
    });

    it("refuses an invalid config with its validation lines", () => {
      const all = allConfigs({ staging: (c) => delete c.values["idp:domain"] });
      assert.deepEqual(checkConfigs({ all, from: "dev", to: "staging" }).reasons, [
        "The config of staging is invalid:",
        "  Invalid config idp:domain: is required but not set. Fix: pulumi config set 'idp:domain' dev.idp.example.com",
      ]);
    });

    it("refuses org-wide data that differs: teams and apps", () => {
      const all = allConfigs({
        staging: (c) => {
          const teams = c.values["idp:teams"] as Array<Record<string, unknown>>;
          teams[1] = { ...teams[1], description: "changed in staging only" };
          c.values["idp:apps"] = [];
        },
      });
      assert.deepEqual(checkConfigs({ all, from: "dev", to: "staging" }).reasons, [
        "idp:teams differs between dev and staging: it is org-wide data, the same in every stack (keep it in Pulumi.yaml and remove the override from the stack file that differs).",
        "idp:apps differs between dev and staging: it is org-wide data, the same in every stack (keep it in Pulumi.yaml and remove the override from the stack file that differs).",
      ]);
    });

    it("refuses org-wide GitHub fields that differ", () => {
      const all = allConfigs({
        prod: (c) => {
          const github = c.values["idp:github"] as Record<string, unknown>;
          github["owner"] = "acme-other";
          github["managementRepository"] = "platform-prod";
        },
      });
      assert.deepEqual(checkConfigs({ all, from: "staging", to: "prod" }).reasons, [
        "idp:github.owner differs between staging and prod: it is org-wide data, the same in every stack (set it identically in every stack file).",
        "idp:github.managementRepository differs between staging and prod: it is org-wide data, the same in every stack (set it identically in every stack file).",
      ]);
    });

    it("refuses when the seeding stack renders the target's folder for another domain or profile", () => {
      const all = allConfigs({
        dev: (c) => {
          const settings = (c.values["idp:github"] as { environmentSettings: Record<string, unknown> })
            .environmentSettings;
          settings["staging"] = {
            ...(settings["staging"] as object),
            domain: "old-staging.idp.acme.example",
            profile: "prod",
          };
        },
      });
      assert.deepEqual(checkConfigs({ all, from: "dev", to: "staging" }).reasons, [
        "dev renders environments/staging/ for the domain old-staging.idp.acme.example, but staging's idp:domain is staging.fixture.example.test: set idp:github.environmentSettings.staging.domain in Pulumi.dev.yaml to staging.fixture.example.test.",
        "dev renders environments/staging/ with the prod profile, but staging's idp:profile is staging: set idp:github.environmentSettings.staging.profile in Pulumi.dev.yaml to staging.",
      ]);
    });
  });

  describe("verdict", () => {
    it("runs every check and lists every refusal", () => {
      const target = versions({ "charts.a": "a@1" });
      const verdict = evaluatePromotion({
        from: "dev",
        to: "prod",
        deployedOutputs: { platformVersions: target },
        history: [update({ result: "failed" })],
        target,
        configs: { all: allConfigs(), from: "dev", to: "prod" },
        requirements: REQUIREMENTS,
      });
      assert.equal(verdict.promotable, false);
      assert.deepEqual(
        verdict.checks.map((check) => [check.check, check.reasons.length]),
        [
          ["order", 1],
          ["versions", 0],
          ["history", 1],
          ["config", 0],
        ],
      );
      assert.match(
        formatVerdict("dev", "prod", verdict),
        /\nRefused: dev → prod \(order, history\)\. Nothing was deployed\.\n$/,
      );
    });
  });
});

describe("platformVersions", () => {
  it("lists every chart, image and Crossplane package pin exactly", () => {
    const { pins } = platformVersions();
    for (const [key, pin] of Object.entries(CHARTS)) {
      assert.equal(pins[`charts.${key}`], `${pin.repository}/${pin.chart}@${pin.version}`);
    }
    for (const [key, pin] of Object.entries(IMAGES))
      assert.equal(pins[`images.${key}`], `${pin.image}:${pin.tag}`);
    for (const [key, pin] of Object.entries(CROSSPLANE_PACKAGES)) {
      assert.equal(pins[`crossplanePackages.${key}`], `${pin.package}:${pin.version}`);
    }
  });

  it("lists the locked version of every runtime dependency", () => {
    const lock = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version: string }>;
    };
    const manifest = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const packages = lockedPackages();
    assert.deepEqual(Object.keys(packages).sort(), Object.keys(manifest.dependencies).sort());
    assert.equal(packages["@pulumi/pulumi"], lock.packages["node_modules/@pulumi/pulumi"]!.version);
  });

  it("has a digest that changes with any version and not with key order", () => {
    const a = versionsDigest({ x: "1", y: "2" }, { p: "1" });
    assert.equal(versionsDigest({ y: "2", x: "1" }, { p: "1" }), a);
    assert.notEqual(versionsDigest({ x: "1", y: "3" }, { p: "1" }), a);
    assert.notEqual(versionsDigest({ x: "1", y: "2" }, { p: "2" }), a);
    assert.match(a, /^sha256:[0-9a-f]{64}$/);
  });

  it("is exported by every stack, and round-trips through asPlatformVersions", async () => {
    const expected = platformVersions();
    for (const stack of listStacks(FIXTURES_DIR)) {
      const synth = await synthStack(stack);
      const output = synth.result.stackOutputs["platformVersions"];
      assert.deepEqual(output, expected, stack);
      assert.deepEqual(asPlatformVersions(output), expected);
    }
  });
});

describe("npm run promote", () => {
  let dir: string;
  let deployedFile: string;
  let historyFile: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "promote-"));
    deployedFile = path.join(dir, "deployed.json");
    historyFile = path.join(dir, "history.json");
    fs.writeFileSync(deployedFile, JSON.stringify({ profile: "dev", platformVersions: platformVersions() }));
    fs.writeFileSync(historyFile, JSON.stringify([update()]));
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function run(argv: string[], env: Record<string, string> = {}) {
    let out = "";
    let err = "";
    const io: Io = { out: (t) => (out += t), err: (t) => (err += t), env, now: () => NOW };
    const code = await main(argv, io);
    return { code, out, err };
  }

  it("exits 0 for a promotable step, after printing the synth diff", async () => {
    const { code, out } = await run([
      "dev",
      "staging",
      "--deployed",
      deployedFile,
      "--history",
      historyFile,
      "--commit",
      COMMIT,
    ]);
    assert.equal(code, 0, out);
    assert.match(out, /^Promotion dev → staging of commit 0123456789abcdef0123456789abcdef01234567\n/);
    assert.match(out, /Differences from stack dev to stack staging/);
    assert.match(out, /\nPromotable: dev → staging\.\n$/);
  });

  it("takes the commit from GITHUB_SHA, and can skip the diff", async () => {
    const { code, out } = await run(
      ["dev", "staging", "--deployed", deployedFile, "--history", historyFile, "--no-diff"],
      { GITHUB_SHA: COMMIT },
    );
    assert.equal(code, 0, out);
    assert.doesNotMatch(out, /Differences from stack/);
  });

  it("exits 1 with every reason when refused", async () => {
    const { code, out } = await run([
      "dev",
      "prod",
      "--deployed",
      deployedFile,
      "--history",
      historyFile,
      "--commit",
      OTHER_COMMIT,
      "--no-diff",
    ]);
    assert.equal(code, 1);
    assert.match(out, /REFUSED order: dev → prod is not a promotion step/);
    assert.match(out, /REFUSED history: dev has not verified this commit/);
    assert.match(out, /\nRefused: dev → prod \(order, history\)\. Nothing was deployed\.\n$/);
  });

  describe("--dry-run", () => {
    const outputsOf = (versions: unknown): string => {
      const out = fs.mkdtempSync(path.join(dir, "out-"));
      fs.mkdirSync(path.join(out, "dev"));
      fs.writeFileSync(path.join(out, "dev", "outputs.json"), JSON.stringify({ platformVersions: versions }));
      return out;
    };

    it("checks order, versions from synth's outputs and configs, and says what CI checks of the history", async () => {
      const out = outputsOf(platformVersions());
      const { code, out: printed } = await run([
        "dev",
        "staging",
        "--dry-run",
        "--out",
        out,
        "--no-diff",
        "--root",
        FIXTURES_DIR,
      ]);
      assert.equal(code, 0);
      assert.deepEqual(printed.split("\n").slice(2, 7), [
        "Promotion checks (dry run):",
        "  ok      order: staging follows dev (dev → staging → prod)",
        `  ok      versions: staging receives exactly what dev runs (${Object.keys(platformVersions().pins).length} pins, ${Object.keys(platformVersions().packages).length} packages, ${platformVersions().digest})`,
        `  skipped history: a dry run has no deploy history; CI checks that dev's last update is a successful update of the promoted commit, from a clean tree, at most ${HISTORY_DEFAULTS.maxAgeHours} hours old, with nothing in progress`,
        "  ok      config: both configs are valid and differ only in environment keys",
      ]);
      assert.match(
        printed,
        /\nDry run: dev → staging passes every check that can run before a deployment\.\n$/,
      );
    });

    it("refuses what a promotion would refuse, and needs synth's outputs first", async () => {
      const stale = outputsOf({ ...platformVersions(), digest: "sha256:0" });
      const refused = await run([
        "dev",
        "staging",
        "--dry-run",
        "--out",
        stale,
        "--no-diff",
        "--root",
        FIXTURES_DIR,
      ]);
      assert.equal(refused.code, 1);
      assert.match(refused.out, /\nDry run: dev → staging would be refused \(versions\)\.\n$/);
      const missing = await run([
        "dev",
        "staging",
        "--dry-run",
        "--out",
        path.join(dir, "nowhere"),
        "--root",
        FIXTURES_DIR,
      ]);
      assert.equal(missing.code, 2);
      assert.equal(
        missing.err.split("\n")[0],
        `promote: ${path.join(dir, "nowhere", "dev", "outputs.json")} does not exist: run npm run synth -- dev first`,
      );
      const mixed = await run(["dev", "staging", "--dry-run", "--deployed", "x.json"]);
      assert.equal(mixed.err.split("\n")[0], "promote: --deployed does not go with --dry-run");
      assert.match(
        mixed.err,
        /\nrequired: <from> and <to>, and either --deployed and --history \(CI, with --commit or GITHUB_SHA\) or --dry-run\n$/,
      );
    });
  });

  it("exits 1 when a file is not JSON", async () => {
    const broken = path.join(dir, "broken.json");
    fs.writeFileSync(broken, "{ not json");
    const { code, out } = await run([
      "dev",
      "staging",
      "--deployed",
      broken,
      "--history",
      historyFile,
      "--commit",
      COMMIT,
      "--no-diff",
    ]);
    assert.equal(code, 1);
    assert.match(out, /The deployed outputs of dev are not a JSON object/);
  });

  for (const [why, argv, message] of [
    ["a missing stack", ["dev"], "promote: name the source and the target stack"],
    [
      "a missing --deployed",
      ["dev", "staging", "--history", "h.json", "--commit", COMMIT],
      "promote: --deployed <file> is required (or --dry-run to see what would be checked)",
    ],
    [
      "a missing commit",
      ["dev", "staging", "--deployed", "d.json", "--history", "h.json"],
      "promote: --commit <sha> is required (or GITHUB_SHA): the commit being promoted",
    ],
    [
      "a bad commit",
      ["dev", "staging", "--deployed", "d", "--history", "h", "--commit", "main"],
      "promote: --commit main is not a commit SHA",
    ],
    [
      "an unknown stack",
      ["dev", "qa", "--deployed", "d", "--history", "h", "--commit", COMMIT],
      "promote: unknown stack qa: stacks in this project are dev, prod, staging",
    ],
    [
      "an unreadable file",
      ["dev", "staging", "--deployed", "/nonexistent/d.json", "--history", "h", "--commit", COMMIT],
      "promote: cannot read /nonexistent/d.json",
    ],
    ["an unknown option", ["dev", "staging", "--force"], "promote: unknown option --force"],
  ] as const) {
    it(`exits 2 on ${why}`, async () => {
      const { code, err } = await run([...argv]);
      assert.equal(code, 2);
      assert.equal(err.split("\n")[0], message);
      assert.match(err, /usage: npm run promote -- <from> <to>/);
    });
  }

  it("reads the stack files of --root", async () => {
    const root = path.join(dir, "root");
    fs.mkdirSync(root);
    for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml"]) {
      fs.copyFileSync(path.join(PROJECT_ROOT, file), path.join(root, file));
    }
    const { code, err } = await run([
      "staging",
      "prod",
      "--deployed",
      deployedFile,
      "--history",
      historyFile,
      "--commit",
      COMMIT,
      "--root",
      root,
    ]);
    assert.equal(code, 2);
    assert.equal(err.split("\n")[0], "promote: unknown stack prod: stacks in this project are dev, staging");
    assert.ok(loadStackConfig("staging", root).values["idp:domain"]);
  });
});
