int dummy_pmd_batch_test;
