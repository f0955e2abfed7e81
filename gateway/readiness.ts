/** One check behind /readyz; a neutral module, as both the HTTP side and the stream wiring provide checks. */
export interface ReadinessCheck {
  name: string;
  /** Throws when not ready; may answer a detail object, shown in /readyz. */
  check: () => Promise<void | Record<string, unknown>>;
  /** false: reported in /readyz but never makes it 503 (an insurer down must not take the gateway out of service). */
  critical?: boolean;
}
