/*
 * cli/cmd_completion.c — `bld completion bash|zsh|fish`: the shell's completion script. Each
 * script only asks `bld __complete` (complete.c) for the words after "bld", so what it offers
 * comes from the command table of the bld that runs: commands, options, and live names from
 * the store. `make install` writes the three scripts where the shells look for them.
 */
#include "cli/cli.h"

static const char bash_script[] =
	"# bash completion for bld (bld completion bash)\n"
	"_bld() {\n"
	"  local cur words cword c files=0 IFS=$'\\n'\n"
	"  if declare -F _get_comp_words_by_ref >/dev/null; then\n"
	"    _get_comp_words_by_ref -n =: cur words cword\n"
	"  else\n"
	"    cur=${COMP_WORDS[COMP_CWORD]} words=(\"${COMP_WORDS[@]}\") cword=$COMP_CWORD\n"
	"  fi\n"
	"  COMPREPLY=()\n"
	"  for c in $(\"${words[0]}\" __complete \"${words[@]:1:cword}\" 2>/dev/null); do\n"
	"    if [ \"$c\" = :files ]; then files=1; else COMPREPLY+=(\"$c\"); fi\n"
	"  done\n"
	"  if [ $files = 1 ]; then\n"
	"    COMPREPLY+=($(compgen -f -- \"$cur\"))\n"
	"    compopt -o filenames 2>/dev/null\n"
	"  fi\n"
	"  if declare -F __ltrim_colon_completions >/dev/null; then\n"
	"    __ltrim_colon_completions \"$cur\"\n"
	"  fi\n"
	"}\n"
	"complete -F _bld bld\n";

static const char zsh_script[] =
	"#compdef bld\n"
	"# zsh completion for bld (bld completion zsh)\n"
	"_bld() {\n"
	"  local -a out cands\n"
	"  local c files=0\n"
	"  out=(\"${(@f)$(${words[1]} __complete \"${(@)words[2,CURRENT]}\" 2>/dev/null)}\")\n"
	"  for c in $out; do\n"
	"    if [[ $c == :files ]]; then files=1; elif [[ -n $c ]]; then cands+=(\"$c\"); fi\n"
	"  done\n"
	"  (( ${#cands} )) && compadd -- \"${cands[@]}\"\n"
	"  (( files )) && _files\n"
	"  return 0\n"
	"}\n"
	"if [[ \"${funcstack[1]}\" == _bld ]]; then _bld \"$@\"; else compdef _bld bld; fi\n";

static const char fish_script[] =
	"# fish completion for bld (bld completion fish)\n"
	"function __bld_complete\n"
	"    set -l words (commandline -opc)\n"
	"    set -l cur (commandline -ct)\n"
	"    set -l cmd $words[1]\n"
	"    set -e words[1]\n"
	"    for c in ($cmd __complete $words \"$cur\" 2>/dev/null)\n"
	"        if test \"$c\" = :files\n"
	"            __fish_complete_path \"$cur\"\n"
	"        else\n"
	"            echo $c\n"
	"        end\n"
	"    end\n"
	"end\n"
	"complete -c bld -f -a '(__bld_complete)'\n";

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *shell = a->argv[0];
	if (strcmp(shell, "bash") == 0)
		fputs(bash_script, stdout);
	else if (strcmp(shell, "zsh") == 0)
		fputs(zsh_script, stdout);
	else if (strcmp(shell, "fish") == 0)
		fputs(fish_script, stdout);
	else
		return bld_error_set(err, BLD_E_INVALID,
				     "unsupported shell \"%s\": use bash, zsh or fish", shell);
	return 0;
}

const struct bld_cli_cmd bld_cmd_completion = {
	.name = "completion",
	.usage = "bash|zsh|fish",
	.summary = "Print the shell completion script for bash, zsh or fish",
	.description = "The script completes commands, options, and the names of images, "
		       "containers, networks, volumes and compose services from the store, by "
		       "asking bld itself. make install and the Debian package install it where "
		       "each shell finds it.",
	.min_args = 1,
	.max_args = 1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Complete bld in the current bash", "source <(bld completion bash)"},
		{"Install it for zsh", "bld completion zsh > \"${fpath[1]}/_bld\""},
		{"Install it for fish", "bld completion fish > ~/.config/fish/completions/bld.fish"}),
};
