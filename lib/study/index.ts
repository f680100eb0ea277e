// Did PoF help? The study with its controls and statistics (study.ts), and its files (report.ts).
export { studyPoF, ARMS } from './study';
export type { StudyOptions, StudyResult, ArmRun, ArmSummary, Comparison, Arm } from './study';
export { writeStudy } from './report';
