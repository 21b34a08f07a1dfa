import serverPackage from '../package.json' with { type: 'json' };

/** Every Alcove package moves in lockstep; the server's version is Alcove's version. */
export const ALCOVE_VERSION: string = serverPackage.version;
