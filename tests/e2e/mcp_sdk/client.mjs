// client.mjs — the official MCP TypeScript SDK client against `warrant mcp`
// over stdio (run by tests/e2e/mcp_sdk.sh).  Connects as the given
// principal, lists the tools (following cursors), calls whoami,
// check_access and propose_change, tries an unknown tool and bad
// arguments, and prints what it saw as one JSON object for the shell test
// to assert on.  The SDK itself validates every structuredContent against
// the tool's outputSchema.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [warrant, data, who, account] = process.argv.slice(2);
const transport = new StdioClientTransport({
  command: warrant,
  args: ["--data", data, "mcp", "--as", who, "--page-size", "4"],
  stderr: "inherit",
});
const client = new Client({ name: "warrant-sdk-test", version: "1.0.0" });
await client.connect(transport);

const seen = { server: client.getServerVersion(), capabilities: client.getServerCapabilities(),
               instructions: client.getInstructions(), tools: [], pages: 0 };
let cursor;
do {
  const page = await client.listTools(cursor ? { cursor } : {});
  seen.pages++;
  seen.tools.push(...page.tools.map((t) => t.name));
  cursor = page.nextCursor;
} while (cursor);

const ops = [{ op: "disable", account }];
seen.whoami = await client.callTool({ name: "whoami", arguments: {} });
seen.check = await client.callTool({ name: "check_access", arguments: { operations: ops, mode: "recommend" } });
seen.propose = await client.callTool({
  name: "propose_change",
  arguments: { operations: ops, rationale: "orphaned account found by the SDK test",
               inputs: [{ source: "sdk-test", content: "orphan report" }] },
});
seen.badArgs = await client.callTool({ name: "check_access", arguments: { operations: [{ op: "explode" }] } });
try {
  await client.callTool({ name: "approve_change", arguments: { change_id: seen.propose.structuredContent.change_id } });
  seen.unknownTool = "accepted";
} catch (e) {
  seen.unknownTool = e.code;
}
await client.ping();
await client.close();
console.log(JSON.stringify(seen));
