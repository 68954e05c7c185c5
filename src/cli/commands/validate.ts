import { Command } from "commander";
import type { CommandFactory } from "../context.js";

export const validateCommand: CommandFactory = (ctx) =>
  new Command("validate").description("check smimesync.yaml").action(() => {
    ctx.output().out("not yet");
  });
