//! A prepared file over Cognito's limits, cut at row boundaries into parts that each import as a
//! job of their own. (Being written.)
