// One YAML serializer for every rendered artifact, so all files share the same style and
// are deterministic (sorted keys where the caller asks, LF, trailing newline).
import { stringify } from "yaml";

export interface ToYamlOptions {
  /** sort mapping keys; renderers whose consumer cares about key order pass false */
  sortKeys?: boolean;
  /** text put before the document, e.g. "#cloud-config" */
  header?: string;
}

export function toYaml(value: unknown, opts: ToYamlOptions = {}): string {
  const body = stringify(value, {
    sortMapEntries: opts.sortKeys ?? true,
    lineWidth: 0,
    aliasDuplicateObjects: false,
  });
  const text = opts.header ? `${opts.header}\n${body}` : body;
  return text.endsWith("\n") ? text : `${text}\n`;
}

/** Several documents in one stream, separated by `---`. */
export function toYamlStream(values: readonly unknown[], opts: ToYamlOptions = {}): string {
  return values.map((v) => toYaml(v, { ...opts, header: undefined })).join("---\n");
}
