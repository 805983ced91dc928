// The edits of .ci/fork-check, made the way a user would make them: in the YAML files, keeping comments.
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";

const root = process.argv[2];
const edit = (file, change) => {
  const full = path.join(root, file);
  const document = YAML.parseDocument(fs.readFileSync(full, "utf8"));
  change(document);
  fs.writeFileSync(full, document.toString());
};

edit("Pulumi.yaml", (doc) => {
  doc.getIn(["config", "idp:teams", "default"]).add(doc.createNode({ slug: "search", name: "Search" }));
  doc
    .getIn(["config", "idp:apps", "default"])
    .add(doc.createNode({ name: "search-api", team: "search", database: true }));
});
for (const file of fs.readdirSync(root).filter((f) => /^Pulumi\..+\.yaml$/.test(f))) {
  edit(file, (doc) => {
    if (doc.hasIn(["config", "idp:github", "owner"]))
      doc.setIn(["config", "idp:github", "owner"], "fork-org");
  });
}
edit("Pulumi.dev.yaml", (doc) => doc.setIn(["config", "idp:ingress", "controller"], "nginx"));
