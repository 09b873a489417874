//! What the public and admin cache files of this app share. Nothing yet: public keys are whole
//! lists (`…:all`), and admin list keys are built by `strata_api::admin` from the validated
//! query — kept as the policy's §6.1 place for helpers both sides will need.
