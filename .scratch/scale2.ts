import { writeOrgScaleProject, LARGE_ORG } from "../synth/org-scale";
import { loadStackConfig } from "../synth/stack-files";
import { synthesize } from "../synth/run";
(async () => {
    const root = writeOrgScaleProject(LARGE_ORG);
    const t0 = Date.now();
    await synthesize({ stack: "dev", config: loadStackConfig("dev", root) });
    console.log("ms", Date.now() - t0);
})();
