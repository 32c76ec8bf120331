/** SHA-256 of bytes as lowercase hex, with the Web Crypto API (browsers; Node ≥ 20 globalThis.crypto). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('sha256Hex: the Web Crypto API (crypto.subtle) is not available in this environment');
  const digest = await subtle.digest('SHA-256', bytes as unknown as ArrayBuffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
