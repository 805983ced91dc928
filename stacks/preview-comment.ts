/**
 * `npm run --silent ci:preview-comment -- <stack> <exit status> <preview output file>`: the pull request
 * comment of one stack's `pulumi preview`, written to stdout as Markdown.
 *
 * CI runs the Pulumi CLI itself rather than through pulumi/actions, whose v7.0.0 posts nothing when the
 * command fails (src/main.ts: the comment code runs only after a successful command), which is exactly
 * when reviewers need to see the policy violations. The comment keeps the end of the output, where the
 * policy violations and the resource summary are, when the whole does not fit a comment.
 */
import * as fs from "node:fs";

/** GitHub refuses comments over 65,536 characters; leave room for the frame. */
export const COMMENT_LIMIT = 60_000;

/** The hidden marker that finds a stack's comment again on the next push. */
export function marker(stack: string): string {
  return `<!-- idp-preview:${stack} -->`;
}

/** Terminal colour codes the CLI prints even without a terminal in some modes. */
function plain(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, "");
}

/** The policy violations the CLI printed ("Policies:" / "Policy Violations:" sections). */
export function policyLines(output: string): string[] {
  const lines = plain(output).split("\n");
  const out: string[] = [];
  let inside = false;
  for (const line of lines) {
    if (/^(Policy Violations|Policies):\s*$/.test(line.trim())) {
      inside = true;
      continue;
    }
    if (inside && /^\S/.test(line) && !/^\s*$/.test(line)) inside = false;
    if (inside && line.trim() !== "") out.push(line.replace(/^ {4}/, ""));
  }
  return out;
}

export function previewComment(stack: string, status: number, output: string): string {
  const text = plain(output).trimEnd();
  const trimmed =
    text.length > COMMENT_LIMIT
      ? `… (the first ${text.length - COMMENT_LIMIT} characters are left out; the whole output is in the job log)\n${text.slice(-COMMENT_LIMIT)}`
      : text;
  const violations = policyLines(text);
  const head =
    status === 0
      ? `#### \`pulumi preview\` of ${stack}: succeeded`
      : `#### \`pulumi preview\` of ${stack}: **failed** (exit ${status})`;
  const policy =
    violations.length === 0
      ? ""
      : `\n**Policy pack** (from the default branch):\n\n\`\`\`\n${violations.join("\n")}\n\`\`\`\n`;
  return `${marker(stack)}\n${head}\n${policy}\n<details><summary>Preview output</summary>\n\n\`\`\`\n${trimmed}\n\`\`\`\n</details>\n`;
}

export function main(argv: readonly string[]): number {
  const [stack, status, file] = argv;
  if (stack === undefined || status === undefined || file === undefined || !/^\d+$/.test(status)) {
    console.error(
      "usage: npm run --silent ci:preview-comment -- <stack> <exit status> <preview output file>",
    );
    return 2;
  }
  process.stdout.write(previewComment(stack, Number(status), fs.readFileSync(file, "utf8")));
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
