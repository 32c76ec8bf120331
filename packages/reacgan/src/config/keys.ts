/**
 * Mechanical key transform between StudioGAN's YAML vocabulary and this package's configuration.
 *
 * - Section names: `DATA` → `data`, `MODEL` → `model`, `OPTIMIZATION` → `optimization`, `STYLEGAN2` →
 *   `stylegan2` (lower-cased).
 * - Keys: snake_case → camelCase, one rule for every key: each `_x` becomes `X` (`img_size` → `imgSize`,
 *   `m_p` → `mP`, `g_ema_start` → `gEmaStart`, `lo_steps4train` → `loSteps4train`); a trailing underscore is
 *   dropped (`type_` → `type`). camelCase input is left unchanged, so the transform is idempotent.
 * - The value `"N/A"` (StudioGAN's "not applicable") becomes `null`, except in `model`, whose owner
 *   (@reacgan/models) keeps StudioGAN's `'N/A'`.
 */

/** `img_size` → `imgSize`; already-camel keys are returned unchanged. */
export function snakeToCamel(key: string): string {
  const trimmed = key.replace(/_+$/, '');
  return trimmed.replace(/_+([A-Za-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** `imgSize` → `img_size` (the inverse of {@link snakeToCamel} for keys written in StudioGAN's style). */
export function camelToSnake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** Where a transformed key came from, for error messages (`model.dCondMtd` ← `MODEL.d_cond_mtd`). */
export type KeyOrigins = Map<string, string>;

/**
 * Transforms a StudioGAN-style configuration object (two levels: SECTION → key → value) into this
 * package's camelCase layout. Values are kept as they are except "N/A" → null. Records each new path's
 * original spelling in `origins` (when given).
 * @throws Error when a section is not an object, or when two original keys map to one camelCase key.
 */
export function transformStudioGanKeys(input: Record<string, unknown>, origins?: KeyOrigins): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [sectionKey, sectionValue] of Object.entries(input)) {
    const section = sectionKey.toUpperCase() === sectionKey ? sectionKey.toLowerCase() : snakeToCamel(sectionKey);
    if (section in out) throw new Error(`config: sections '${sectionKey}' and another spelling both map to '${section}'`);
    if (sectionValue === null || typeof sectionValue !== 'object' || Array.isArray(sectionValue)) {
      // Let schema validation report the wrong type with the section's name.
      out[section] = sectionValue;
      origins?.set(section, sectionKey);
      continue;
    }
    const converted: Record<string, unknown> = {};
    const seen = new Map<string, string>();
    for (const [key, value] of Object.entries(sectionValue as Record<string, unknown>)) {
      const camel = snakeToCamel(key);
      const previous = seen.get(camel);
      if (previous !== undefined) {
        throw new Error(`config: keys '${sectionKey}.${previous}' and '${sectionKey}.${key}' both map to '${section}.${camel}'`);
      }
      seen.set(camel, key);
      converted[camel] = value === 'N/A' && section !== 'model' ? null : value;
      origins?.set(`${section}.${camel}`, `${sectionKey}.${key}`);
    }
    out[section] = converted;
    origins?.set(section, sectionKey);
  }
  return out;
}
