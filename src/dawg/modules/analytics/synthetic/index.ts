export { createGenerateDatasetAction, generateDatasetParams } from './generate-dataset.action';
export { generateChurnDataset, type ChurnDataset, type ChurnDatasetOptions } from './churn-dataset';
export {
  churnActivityColumns,
  churnMonthlyColumns,
  churnUsersColumns,
  type ChurnActivityRow,
  type ChurnMonthlyRow,
  type ChurnUserRow,
} from './churn-contract';
