import { writeOrgScaleProject, LARGE_ORG, SMALL_ORG } from "../synth/org-scale";
import { loadStackConfig } from "../synth/stack-files";
import { synthesize } from "../synth/run";
import { githubWriteChain } from "../synth/graph";
(async () => {
  for (const size of [SMALL_ORG, LARGE_ORG]) {
    const root = writeOrgScaleProject(size);
    const t0 = Date.now();
    const r = await synthesize({ stack: "dev", config: loadStackConfig("dev", root) });
    console.log(size, "resources", r.resources.length, "ms", Date.now() - t0, "chain", githubWriteChain(r.resources).seconds);
  }
})();
