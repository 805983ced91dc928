import * as pulumi from "@pulumi/pulumi";
import { repositorySeedProvider } from "../components/github/git-data";
(async () => {
  const t0 = Date.now();
  const sf = await pulumi.runtime.serializeFunction(() => repositorySeedProvider, { allowSecrets: true });
  console.log("ms", Date.now() - t0, "len", sf.text.length);
  console.log(sf.text.slice(0, 1500));
  console.log(sf.text.match(/require\([^)]*\)/g));
})();
