export const toNfc = (s: string): string => s; // TEMP
