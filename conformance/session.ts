/** The engines of one conformance run: the built tools, the functions started once, render with them. */
import { FUNCTION_NAMES } from "../components/crossplane/pt";
import {
  render as renderWith,
  startFunction,
  type RenderInput,
  type RenderResult,
  type RunningFunction,
} from "./engine";
import { tools } from "./fixtures";

export type { RenderResult, RunningFunction };

/** Both functions the compositions call, named as their Function objects are. */
export async function startFunctions(): Promise<RunningFunction[]> {
  const paths = tools();
  return Promise.all([
    startFunction(FUNCTION_NAMES.patchAndTransform, paths.functionPatchAndTransform),
    startFunction(FUNCTION_NAMES.celFilter, paths.functionCelFilter),
  ]);
}

export function render(input: RenderInput): RenderResult {
  return renderWith(tools().crossplane, input);
}
