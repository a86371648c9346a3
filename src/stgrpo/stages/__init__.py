"""One module per Snakemake rule, named as the rule and its results folder: each reads its
settings from the composed config, checks them before any work, calls the library packages
and writes the stage's outputs (`python -m stgrpo.stages.<rule> key=value ...`)."""
