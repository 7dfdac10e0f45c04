//! Translation table building (EL2 stage-1 and stage-2). (Being written.)
