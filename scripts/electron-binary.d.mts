/** Electron's own download step (install.js), which exits at once when the binary is there. */
export declare const electronInstallScript: string;
/** The installed binary's path, or null where it has not been fetched. */
export declare function installedElectronBinary(): string | null;
