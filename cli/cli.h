/*
 * cli/cli.h — what the files of cli/ share: the command table entry, docker-style option
 * parsing (pflag rules: --long=value, --long value, -s value, -svalue, grouped short
 * booleans, "--" ends options) and generated --help text.
 *
 * A command lives in its own cli/cmd_<name>.c and defines one `const struct bld_cli_cmd
 * bld_cmd_<name>`; the table in main.c names it weakly, so a command that is not linked in
 * is simply absent. No logic lives here that a module could own.
 */
#ifndef BLD_CLI_H
#define BLD_CLI_H

#include "common/common.h"

enum bld_cli_opt_type {
	BLD_OPT_BOOL,   /* --flag, --flag=true|false */
	BLD_OPT_STRING, /* --flag value; the last one wins */
	BLD_OPT_LIST,   /* --flag value, repeatable; every value kept in order */
	BLD_OPT_OPTVAL, /* --flag=value, or --flag alone for "true" (pflag's NoOptDefVal) */
};

struct bld_cli_opt {
	const char *name; /* long name without "--" */
	char shorthand;   /* 0 for none */
	enum bld_cli_opt_type type;
	const char *arg;  /* shown in help: "string", "list", "bytes" ... */
	const char *help;
	const char *def;  /* default shown in help and returned when unset, or NULL */
};

struct bld_cli_args;

/* A use of a command, shown at the end of its --help and in its manual's EXAMPLES. */
struct bld_cli_example {
	const char *what; /* one line: what it does */
	const char *line; /* the command line: "bld build -t app ." */
};

/* A command's examples: BLD_CLI_EXAMPLES({"what", "bld ..."}, {"what", "bld ..."}) */
#define BLD_CLI_EXAMPLES(...) ((const struct bld_cli_example[]){__VA_ARGS__, {NULL, NULL}})

/* One entry per command is all that --help, the manual pages (`bld __man DIR`) and the shell
 * completion (`bld completion SHELL`, `bld __complete`) are made of: a new command needs
 * nothing else. */
struct bld_cli_cmd {
	const char *name;    /* "build", or "image prune" for a subcommand */
	const char *usage;   /* after "bld <name> ": "[OPTIONS] PATH | URL | -" */
	const char *summary; /* one line, shown in `bld --help` */
	const struct bld_cli_opt *opts; /* terminated by an entry with name NULL */
	int min_args;
	int max_args; /* -1: no limit */
	bool stop_at_first_arg; /* options end at the first positional (run, exec) */
	const char *description; /* the manual's DESCRIPTION, paragraphs split by "\n\n";
				  * NULL: the summary */
	const struct bld_cli_example *examples; /* two or three, ended by {NULL, NULL} */
	const char *exit_status; /* the manual's EXIT STATUS when not the usual one, or NULL */
	/* Returns an exit status >= 0, or < 0 with *err set: the exit status is err->status,
	 * else fail_status, else 1 (docker's CLI: 1 for a command that fails). */
	int (*run)(struct bld_ctx *ctx, struct bld_cli_args *args, struct bld_error **err);
	/* 125 for the commands whose own failures docker (run) or podman (kube, system
	 * service) report as 125, and for bld's own tools; 0 for docker's 1 */
	int fail_status;
};

struct bld_cli_args {
	const struct bld_cli_cmd *cmd;
	int argc; /* positional arguments */
	char **argv;
	/* per option, in the order of cmd->opts */
	int *count;    /* times given */
	char **str;    /* last value (BLD_OPT_STRING), "true"/"false" for BOOL */
	char ***list;  /* every value (BLD_OPT_LIST) */
	const struct bld_cli_args *parent; /* a command group's own options (compose), or NULL */
};

/* Parses argv (after the command name) for cmd; BLD_E_INVALID with docker's wording: a
 * flag that does not parse exits 125, a wrong number of arguments 1 (err->status), as
 * docker's CLI. */
int bld_cli_args_parse(struct bld_cli_args *out, const struct bld_cli_cmd *cmd, int argc,
		       char **argv, struct bld_error **err);
void bld_cli_args_dispose(struct bld_cli_args *a);

/* Like bld_error_set with BLD_E_INVALID, for a flag's value that does not parse: the error
 * carries status 125, as docker's CLI exits for a flag it cannot parse (its typed values:
 * numbers, sizes, filters). */
int bld_cli_flag_refuse(struct bld_error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Every --filter value of a is NAME=VALUE; else the refusal docker's CLI gives for its filter
 * flag (FLAG: "-f, --filter" or "--filter"), with status 125. */
int bld_cli_filters_check(const struct bld_cli_args *a, const char *flag, struct bld_error **err);

/* Whether a boolean option is set to true. */
bool bld_cli_bool(const struct bld_cli_args *a, const char *name);
/* The string option's value, or its default (may be NULL); borrowed. */
const char *bld_cli_str(const struct bld_cli_args *a, const char *name);
/* Every value of a list option (NULL-terminated, possibly NULL); borrowed. */
char *const *bld_cli_list(const struct bld_cli_args *a, const char *name);
/* Whether the option was given at all. */
bool bld_cli_given(const struct bld_cli_args *a, const char *name);
/* --tls-verify as struct bld_registry_opts takes it: 0 when not given (docker's default), 1
 * for true, -1 for false. */
int bld_cli_tls_verify(const struct bld_cli_args *a);

/* cp's "NAME:PATH" (cmd_cp.c, docker's and compose's rule: unless the argument is an
 * absolute path, starts with "." or has no ':'): the name (caller frees) and *path
 * (borrowed); a local path -> NULL and *path = arg. */
char *bld_cli_cp_split(const char *arg, const char **path);

/* Prints the command's help (usage, summary, options, examples) to f. */
void bld_cli_help(FILE *f, const struct bld_cli_cmd *cmd);
/* The left column of an option in --help and the manual: "-t, --tag list", "--rm". */
void bld_cli_opt_left(char *buf, size_t size, const struct bld_cli_opt *o);
/* bld_cli_help without the examples, and the examples alone ("Examples:", nothing when there
 * are none): a group's help lists its commands between them. */
void bld_cli_help_options(FILE *f, const struct bld_cli_cmd *cmd);
void bld_cli_help_examples(FILE *f, const struct bld_cli_example *ex);

/* Every command, for the manual and the completion: bld's own ("" is the global options of
 * bld itself), then the compose group ("compose") and its commands; NULL-terminated. */
const struct bld_cli_cmd *const *bld_cli_table(void);
/* The compose group and its commands (compose.c), NULL-terminated. */
const struct bld_cli_cmd *const *bld_cli_compose_table(void);
/* The management-command spellings of a command ("image ls" for "images"), NULL-terminated
 * (caller frees the array, not the strings). */
const char **bld_cli_aliases_of(const char *name);

/* The management-command spellings ("image ls") and the commands they run: their number;
 * the caller frees both arrays, not what they point at. */
size_t bld_cli_alias_list(const char ***names, const struct bld_cli_cmd ***cmds);
/* `bld __complete WORD...` (complete.c): prints the candidates for the last word. */
int bld_cli_complete(struct bld_ctx *ctx, char **words, int n);

/* `bld __man DIR`: writes every command's manual page (man.c). */
int bld_cli_man_write(const char *dir, struct bld_error **err);

/* `bld compose [OPTIONS] COMMAND [ARGS]` (compose.c): the group's options, then its command;
 * returns the exit status. */
int bld_cli_compose_main(int argc, char **argv);

/* `bld __api KIND`: a job of the Engine API service (an exec, an attach, a build) run in a
 * bld of its own, spawned by the service (cmd_system_service.c, the one cli file over api/) */
int bld_cli_api_child_main(int argc, char **argv);
/* The project options the compose group's flags give (-f, -p, --project-directory,
 * --env-file, --profile); o's strings are borrowed from a. */
struct bld_deploy_options;
void bld_cli_compose_options(const struct bld_cli_args *a, struct bld_deploy_options *o);

#endif
