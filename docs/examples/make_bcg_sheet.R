# Writes bcg.csv, the extraction sheet of docs/start_your_own_review.md: metadat's dat.bcg (the 13
# BCG vaccine trials of Colditz et al. 1994, JAMA 271(9):698-702) in metafor's column names.
# Run from this folder: Rscript make_bcg_sheet.R
d <- metadat::dat.bcg
sheet <- data.frame(study = d$author, year = d$year, ai = d$tpos, bi = d$tneg, ci = d$cpos, di = d$cneg,
                    design = ifelse(d$alloc == "random", "parallel_rct", "parallel_nonrandomized"),
                    ablat = d$ablat, alloc = d$alloc,
                    source = paste0("metadat dat.bcg, trial ", d$trial, " (Colditz et al. 1994, DOI 10.1001/jama.1994.03510330076038)"))
write.csv(sheet, "bcg.csv", row.names = FALSE)
