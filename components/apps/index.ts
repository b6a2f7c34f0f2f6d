export { BlueGreenService } from "./blue-green-service";
export type { BlueGreenServiceArgs } from "./blue-green-service";
export {
  ANNOTATION_ACTIVE,
  ANNOTATION_PREVIOUS,
  COLOUR_HEADER,
  LABEL_APP,
  LABEL_COLOUR,
  blueGreenObjects,
  deploymentName,
  isColour,
  manifestList,
  otherColour,
  renderBlueGreenManifests,
  serviceHost,
  serviceSelector,
  validateManifests,
  virtualServiceHttp,
} from "./render/blue-green";
export type { BlueGreenObjects, BlueGreenSpec, Colour, Manifest } from "./render/blue-green";
