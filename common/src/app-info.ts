/** The app's version, as `[application] version` in spin.toml says (a test keeps the two equal). */
export const APP_VERSION = '0.1.0';
