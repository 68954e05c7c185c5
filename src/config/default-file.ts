// The config file's default name, in a module of its own: command definitions show it without
// loading the config loader.
export const DEFAULT_CONFIG_FILE = "smimesync.yaml";
