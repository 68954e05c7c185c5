// The -c/--config option shared by every command that reads smimesync.yaml.
import { Option } from "commander";
import { DEFAULT_CONFIG_FILE } from "../config/default-file.js";

export function configOption(): Option {
  return new Option("-c, --config <file>", "the configuration file").default(DEFAULT_CONFIG_FILE);
}
