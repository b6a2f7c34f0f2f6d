// The validator lives in tools/lib/k8s-validate.ts (npm run ab -- migrate uses it at run time);
// tests keep importing it from here.
export * from "../../tools/lib/k8s-validate";
