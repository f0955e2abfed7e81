/** Dates as a clerk types them (20240301, 2024/3/1, 2024.3.1, 2024年3月1日) → 2024-03-01; anything else is left for the gateway to judge. */
export function normaliseDate(text: string): string {
  const trimmed = text.trim();
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(trimmed);
  if (compact) return `${compact[1]}-${compact[2]}-${compact[3]}`;
  const loose = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(trimmed);
  return loose ? `${loose[1]}-${loose[2]!.padStart(2, '0')}-${loose[3]!.padStart(2, '0')}` : trimmed;
}
