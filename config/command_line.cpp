// The command line, parsed by CLI11: every option of the table as a flag of `relay`, and
// the operator commands as subcommands with options of their own. CLI11 reads the words;
// the values go through the table's own checks (set_option), so a flag, its environment
// variable and its config-file key are refused with the same message, and the order of
// precedence (flag > environment > file > default) is applied here, not by CLI11.

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <map>
#include <memory>

#include "config/options.hpp"

namespace relay {

namespace {

// -- the operator commands ------------------------------------------------------------

/// An option of one operator command, e.g. `user add … --name NAME`.
struct command_option {
  const char* name;   // without the dashes; also the key in command_line::sub_options
  const char* value;  // shown in help; "" for a switch
  const char* help;
  bool required = false;
  std::vector<std::string> choices = {};
};

/// One operator command: `relay <group> <verb> [OPERAND] [options]`. The words reach
/// app/operator*.cpp as command_line::words {group, verb, operand}.
struct command {
  const char* group;
  const char* group_help;
  const char* verb;
  const char* help;
  const char* operand;  // nullptr: the command takes none
  const char* operand_help;
  std::vector<command_option> options;
};

const std::vector<command>& commands() {
  static const std::vector<command> list = {
      {"user",
       "users of the chat",
       "add",
       "create a user; prints its id",
       "LOGIN",
       "1..39 characters of A-Z a-z 0-9 - _ (logins ignore case)",
       {{"name", "NAME", "display name (default: the login)"},
        {"email", "EMAIL", "e-mail address"}}},
      {"token",
       "API tokens of users",
       "create",
       "create an API token for a user; prints rlt_… once (only its hash is stored)",
       "LOGIN",
       "the user's login",
       {{"name", "LABEL", "label of the token (default: cli)"}}},
      {"agent",
       "agents of the agent relay (docs/agents.md)",
       "add",
       "register an agent; prints its rla_… token once",
       "AGENT_ID",
       "the agent's id",
       {{"name", "NAME", "display name (default: the id)"},
        {"description", "TEXT", "what the agent does"}}},
      {"agent",
       "agents of the agent relay (docs/agents.md)",
       "rotate",
       "replace an agent's token; prints the new rla_… token once",
       "AGENT_ID",
       "the agent's id",
       {}},
      {"app",
       "apps of the agent relay (docs/agents.md)",
       "add",
       "register an app; prints its rlk_<app>_… token once",
       "APP_ID",
       "the app's id",
       {{"name", "NAME", "display name (default: the id)"},
        {"allow", "A[,B…]", "agents the app may call, comma-separated"}}},
      {"app",
       "apps of the agent relay (docs/agents.md)",
       "allow",
       "set the agents an app may call (replaces the list); prints the new list",
       "APP_ID",
       "the app's id",
       {{"agents", "A[,B…]", "agents the app may call, comma-separated; none empties the list"}}},
      {"hallkey",
       "API keys of hall workspaces (docs/halls.md)",
       "create",
       "open a workspace on a plan; prints its relay_live_… (or relay_test_…) key once",
       nullptr,
       nullptr,
       {{"plan", "starter|growth", "the workspace's plan (required)", true, {"starter", "growth"}},
        {"test", "", "a test key: usage is tracked, never billed"}}},
      {"store",
       "the store as a whole (docs/operations.md)",
       "copy-to-postgres",
       "copy this data directory's SQLite store into an empty Postgres store of record, to "
       "run it as a cluster; stop the server first; prints the counts of both",
       "POSTGRES_URL",
       "the target database, e.g. postgresql://relay@db.internal/relay",
       {}},
      {"search-index",
       "the single node's search index (docs/operations.md)",
       "status",
       "print whether messages are indexed, how many, and the index's size on disk",
       nullptr,
       nullptr,
       {}},
      {"search-index",
       "the single node's search index (docs/operations.md)",
       "rebuild",
       "index every message and thread reply again (and turn the index back on); stop the "
       "server first; prints the rows indexed and the size on disk",
       nullptr,
       nullptr,
       {}},
  };
  return list;
}

// -- help ------------------------------------------------------------------------------

// Two lines per option, as `relay --help` always printed them: the flag and its value,
// then the help with its default and variable; CLI11's one-line layout cuts the longer
// help texts into an unreadable column.
class two_line_formatter : public CLI::Formatter {
 public:
  std::string make_option(const CLI::Option* opt, bool positional) const override {
    return "  " + make_option_name(opt, positional) + make_option_opts(opt) + "\n      " +
           make_option_desc(opt) + "\n";
  }
};

std::string value_name(const option_info& o) {
  if (o.kind == "integer") return "N";
  if (o.kind == "string") return "VALUE";
  return o.kind;
}

// The end of `relay --help`: each command's synopsis, from the command table, and where
// options come from.
std::string footer() {
  std::string out = "Usage of the commands (`relay COMMAND --help` tells more):\n";
  for (auto& c : commands()) {
    out += std::string("  relay [OPTIONS] ") + c.group + " " + c.verb;
    if (c.operand) out += std::string(" ") + c.operand;
    for (auto& o : c.options) {
      auto word = std::string("--") + o.name + (*o.value ? std::string(" ") + o.value : "");
      out += o.required ? " " + word : " [" + word + "]";
    }
    out += "\n";
  }
  return out +
         "\nEvery option can also be set in a TOML file (--config FILE or RELAY_CONFIG;\n"
         "see config/relay.example.toml) or in its environment variable.\n"
         "Precedence: flag > environment > file > default.";
}

constexpr const char* command_footer =
    "The options of relay (--data-dir, --config, …; see relay --help) may stand before or\n"
    "after the command.";

/// The parser, its flags bound to nothing: load_config reads what was given.
struct parser {
  CLI::App app{
      "Relay: a real-time chat server. Without a command it serves; the commands work on\n"
      "its data directory, also while a server runs on it.",
      "relay"};
  CLI::Option* config_file = nullptr;
  CLI::Option* version = nullptr;
  std::vector<CLI::Option*> flags;  // options()[i] is flags[i]
  // The operator commands, commands()[i] is leaves[i].
  std::vector<CLI::App*> leaves;
  std::vector<CLI::Option*> operands;
  std::vector<std::vector<CLI::Option*>> leaf_options;

  parser() {
    auto fmt = std::make_shared<two_line_formatter>();
    fmt->label("SUBCOMMAND", "COMMAND");
    fmt->label("Positionals", "Arguments");
    app.formatter(fmt);
    // Options of `relay` may follow a command's words too (`user add x --data-dir d`);
    // inherited by every subcommand added below.
    app.fallthrough();
    app.footer(footer());
    app.set_help_flag("-h,--help", "print this help and exit");
    version = app.add_flag("--version")->description("print the version and exit");
    config_file = app.add_option("--config")
                      ->description("TOML configuration file [env RELAY_CONFIG]")
                      ->option_text("FILE")
                      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    for (auto& o : options())
      flags.push_back(
          app.add_option(o.flag)
              ->description(o.help + " [default " + o.default_value + ", env " + o.env + "]")
              ->option_text(value_name(o))
              ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast));
    app.require_subcommand(0, 1);
    std::map<std::string, CLI::App*> groups;
    for (auto& c : commands()) {
      auto*& group = groups[c.group];
      if (!group) {
        group = app.add_subcommand(c.group, c.group_help);
        group->footer(command_footer)->group("Commands");
        group->require_subcommand(1);
      }
      auto* leaf = group->add_subcommand(c.verb, c.help);
      leaf->footer(command_footer)->group("Commands");
      operands.push_back(c.operand
                             ? leaf->add_option(c.operand)->description(c.operand_help)->required()
                             : nullptr);
      std::vector<CLI::Option*> opts;
      for (auto& o : c.options) {
        const std::string flag = std::string("--") + o.name;
        CLI::Option* opt = nullptr;
        if (*o.value == '\0') {
          opt = leaf->add_flag(flag)->description(o.help);
        } else {
          opt = leaf->add_option(flag)
                    ->description(o.help)
                    ->option_text(o.value)
                    ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
          if (o.required) opt->required();
          if (!o.choices.empty()) opt->check(CLI::IsMember(o.choices));
        }
        opts.push_back(opt);
      }
      leaves.push_back(leaf);
      leaf_options.push_back(std::move(opts));
    }
  }

  /// `relay`, `relay user` or `relay user add`: where the words given so far lead.
  std::string path() const {
    std::string out = "relay";
    for (const CLI::App* a = &app; !a->get_subcommands().empty();) {
      a = a->get_subcommands().back();
      out += " " + a->get_name();
    }
    return out;
  }
};

// A CLI11 error as one clear sentence, naming what to read.
std::string parse_error(const parser& p, const CLI::ParseError& e) {
  std::string what = e.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    // The words nothing took: an option no one declares, or a word after a command.
    const auto rest = p.app.remaining(true);
    if (!rest.empty() && rest.front().rfind("-", 0) == 0)
      what = "unknown option " + rest.front().substr(0, rest.front().find('='));
    else if (!rest.empty() && p.app.get_subcommands().empty())
      what = "unknown command '" + rest.front() + "'";
    else if (!rest.empty())
      what = "unexpected argument '" + rest.front() + "'";
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) && what.find(": ") != std::string::npos)
    what = "option " + what.substr(0, what.find(": ")) + " needs a value";
  if (what == "A subcommand is required") what = p.path() + " needs a command";
  return what + " (see " + p.path() + " --help)";
}

// The words after the program name, reversed as CLI11's parse() wants them. CLI11 reads
// `--flag=` as a flag without a value and takes the next word as its value; Relay has
// always read it as the empty value (`--public-url=` clears a file's public_url), so
// it is handed over as `--flag ""`.
std::vector<std::string> reversed_args(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = argc - 1; i >= 1; --i) {
    std::string a = argv[i];
    if (a.size() > 3 && a.rfind("--", 0) == 0 && a.back() == '=' && a.find('=') == a.size() - 1) {
      out.emplace_back();
      a.pop_back();
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

load_result load_config(int argc, char** argv) {
  load_result res;
  parser p;
  try {
    p.app.parse(reversed_args(argc, argv));
  } catch (const CLI::CallForHelp&) {
    // The help of the deepest command named, e.g. `relay user add --help`.
    res.cmd.help = true;
    res.cmd.usage = p.app.help();
    res.cfg = config{};
    return res;
  } catch (const CLI::ParseError& e) {
    res.error = parse_error(p, e);
    return res;
  }
  if (p.version->count() > 0) {
    res.cmd.version = true;
    res.cfg = config{};
    return res;
  }

  config c;
  // The config file comes first so environment and flags override it.
  std::string file;
  if (auto* env = std::getenv("RELAY_CONFIG")) file = env;
  if (p.config_file->count() > 0) file = p.config_file->as<std::string>();
  if (!file.empty())
    if (auto e = load_config_file(c, file); !e.empty()) {
      res.error = e;
      return res;
    }
  const auto& infos = options();
  for (auto& o : infos)
    if (auto* env = std::getenv(o.env.c_str()))
      if (auto e = set_option(c, o, env, o.env); !e.empty()) {
        res.error = e;
        return res;
      }
  for (std::size_t i = 0; i < infos.size(); ++i)
    if (p.flags[i]->count() > 0)
      if (auto e = set_option(c, infos[i], p.flags[i]->as<std::string>(), infos[i].flag);
          !e.empty()) {
        res.error = e;
        return res;
      }

  for (std::size_t i = 0; i < commands().size(); ++i) {
    if (!p.leaves[i]->parsed()) continue;
    const auto& cmd = commands()[i];
    res.cmd.words = {cmd.group, cmd.verb};
    if (p.operands[i]) res.cmd.words.push_back(p.operands[i]->as<std::string>());
    for (std::size_t k = 0; k < cmd.options.size(); ++k) {
      const auto* opt = p.leaf_options[i][k];
      if (opt->count() == 0) continue;
      const bool is_switch = *cmd.options[k].value == '\0';
      res.cmd.sub_options.emplace_back(
          cmd.options[k].name,
          is_switch ? (opt->as<bool>() ? "true" : "false") : opt->as<std::string>());
    }
  }
  res.cfg = c;
  return res;
}

std::string help_text() {
  parser p;
  return p.app.help();
}

}  // namespace relay
