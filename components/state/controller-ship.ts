// What the edge component includes in its cloud-init to run the failover controller on the
// standby site's edge hosts: `controllerCloudFiles(input)` returns write_files entries,
// runcmd lines and packages. The edge passes them through its extraFiles/extraRuncmd args.
import { bundleController } from "./_bundle";
import {
  ControllerCloudPart,
  ControllerFilesInput,
  renderControllerCloudPart,
} from "./render/controller-files";

export type ControllerShipInput = Omit<ControllerFilesInput, "bundle">;

/** Bundles the controller (esbuild, deterministic) and renders its files for cloud-init. */
export function controllerCloudFiles(input: ControllerShipInput): ControllerCloudPart {
  return renderControllerCloudPart({ ...input, bundle: bundleController() });
}
