int dummy_classifier_test;
